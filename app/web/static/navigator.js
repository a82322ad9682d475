// The list of questions: where you are, which are answered, which are flagged.

export class Navigator {
  constructor({ list, onSelect }) {
    this.list = list;
    this.onSelect = onSelect;
  }

  render(items, current) {
    this.list.replaceChildren(
      ...items.map((item, index) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = String(index + 1);
        button.dataset.answered = String(item.answered);
        button.dataset.flagged = String(item.flagged);
        button.dataset.ref = item.ref;
        const kind = item.kind === "scenario" ? "scenario" : "question";
        const states = [item.answered ? "answered" : "not answered"];
        if (item.flagged) states.push("flagged for review");
        button.setAttribute("aria-label", `${kind} ${index + 1}, ${states.join(", ")}`);
        if (index === current) button.setAttribute("aria-current", "step");
        button.addEventListener("click", () => this.onSelect(index));
        li.append(button);
        return li;
      }),
    );
  }
}
