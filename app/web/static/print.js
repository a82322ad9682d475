// The printable certificate's button (no inline script: the page's policy forbids it).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
