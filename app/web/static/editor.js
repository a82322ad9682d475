// A code editor that behaves like one: monospace, line numbers, Tab indents (Shift+Tab
// outdents), Enter keeps the indentation. Escape then Tab leaves the editor, so the
// keyboard is never trapped.

const INDENT = "    ";

function insert(textarea, text) {
  // execCommand keeps the browser's undo history; setRangeText is the fallback.
  if (!document.execCommand || !document.execCommand("insertText", false, text)) {
    textarea.setRangeText(text, textarea.selectionStart, textarea.selectionEnd, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

export function createEditor({ id, label, text, readOnly, onChange }) {
  const wrapper = document.createElement("div");
  wrapper.className = "editor";
  const gutter = document.createElement("pre");
  gutter.className = "gutter";
  gutter.setAttribute("aria-hidden", "true");
  const textarea = document.createElement("textarea");
  textarea.id = id;
  textarea.value = text;
  textarea.readOnly = readOnly;
  textarea.spellcheck = false;
  textarea.autocapitalize = "off";
  textarea.setAttribute("autocomplete", "off");
  textarea.setAttribute("aria-label", label);
  textarea.wrap = "off";
  wrapper.append(gutter, textarea);

  const renumber = () => {
    const lines = textarea.value.split("\n").length;
    let numbers = "";
    for (let i = 1; i <= lines; i += 1) numbers += `${i}\n`;
    gutter.textContent = numbers;
    gutter.scrollTop = textarea.scrollTop;
  };
  renumber();
  textarea.addEventListener("scroll", () => {
    gutter.scrollTop = textarea.scrollTop;
  });
  textarea.addEventListener("input", () => {
    renumber();
    if (!readOnly) onChange(textarea.value);
  });

  let escaped = false;
  textarea.addEventListener("keydown", (event) => {
    if (readOnly) return;
    if (event.key === "Escape") {
      escaped = true;
      return;
    }
    if (event.key === "Tab" && !escaped && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      if (event.shiftKey) outdent(textarea);
      else insert(textarea, INDENT);
      return;
    }
    escaped = false;
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey) {
      const before = textarea.value.slice(0, textarea.selectionStart);
      const line = before.slice(before.lastIndexOf("\n") + 1);
      const indent = line.match(/^[ \t]*/)[0] + (line.trimEnd().endsWith(":") ? INDENT : "");
      event.preventDefault();
      insert(textarea, `\n${indent}`);
    }
  });
  textarea.addEventListener("blur", () => {
    escaped = false;
  });

  return { element: wrapper, textarea, renumber };
}

function outdent(textarea) {
  const value = textarea.value;
  const lineStart = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
  const leading = value.slice(lineStart).match(/^ {1,4}|^\t/);
  if (!leading) return;
  const caret = textarea.selectionStart;
  textarea.setSelectionRange(lineStart, lineStart + leading[0].length);
  insert(textarea, "");
  const back = Math.max(lineStart, caret - leading[0].length);
  textarea.setSelectionRange(back, back);
}
