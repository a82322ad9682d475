// The workspace's files as a tree (the WAI-ARIA tree view pattern): folders open and
// close, each file says whether it is editable (marked ✎) or read only (greyed), and the
// open file is the selected one. One tab stop; inside it Up/Down move, Right/Left open, close or move
// between a folder and its files, Home/End go to the ends, Enter or Space opens a file.

import { el } from "./dom.js";

// {name, files: [path], folders: Map(name -> node)} from "a/b/c.py" paths.
function nest(paths) {
  const root = { files: [], folders: new Map() };
  for (const path of paths) {
    const parts = path.split("/");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.folders.has(part)) node.folders.set(part, { files: [], folders: new Map() });
      node = node.folders.get(part);
    }
    node.files.push(path);
  }
  return root;
}

/**
 * {paths, editable: Set, label, onOpen(path)} -> {element, select(path)}. Editable files
 * come first in each folder, then the read-only ones, each group by name.
 */
export function fileTree({ paths, editable, label, onOpen }) {
  const tree = el("ul", { role: "tree", "aria-label": label, class: "file-tree" });
  const byPath = new Map();

  function fileItem(path, level) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const canEdit = editable.has(path);
    const item = el(
      "li",
      {
        role: "treeitem",
        "aria-level": String(level),
        "aria-selected": "false",
        tabindex: "-1",
        class: `file ${canEdit ? "editable" : "read-only"}`,
        "data-path": path,
      },
      el("span", { class: "file-mark", "aria-hidden": "true", text: canEdit ? "✎" : "" }),
      el("span", { class: "file-name", text: name }),
      el("span", { class: "visually-hidden", text: canEdit ? ", editable" : ", read only" }),
    );
    item.title = path;
    item.addEventListener("click", (event) => {
      event.stopPropagation();
      focusItem(item);
      onOpen(path);
    });
    byPath.set(path, item);
    return item;
  }

  function build(node, level) {
    const children = [];
    for (const [name, folder] of [...node.folders].sort(([a], [b]) => a.localeCompare(b))) {
      const group = el("ul", { role: "group" }, ...build(folder, level + 1));
      const item = el(
        "li",
        { role: "treeitem", "aria-level": String(level), "aria-expanded": "true", tabindex: "-1", class: "folder" },
        el("span", { class: "folder-name", text: `${name}/` }),
        group,
      );
      item.addEventListener("click", (event) => {
        event.stopPropagation();
        focusItem(item);
        toggle(item);
      });
      children.push(item);
    }
    const files = [...node.files].sort((a, b) => {
      const order = (editable.has(a) ? 0 : 1) - (editable.has(b) ? 0 : 1);
      return order || a.localeCompare(b);
    });
    children.push(...files.map((path) => fileItem(path, level)));
    return children;
  }
  tree.append(...build(nest(paths), 1));
  const legend = el("p", { class: "file-legend" }, el("span", { "aria-hidden": "true", text: "✎ " }), "editable; the others are read only");

  const visible = () =>
    [...tree.querySelectorAll("[role=treeitem]")].filter(
      (item) => !item.parentElement.closest("[aria-expanded=false]"),
    );

  function focusItem(item) {
    for (const other of tree.querySelectorAll("[role=treeitem]")) other.tabIndex = -1;
    item.tabIndex = 0;
    item.focus();
  }

  function toggle(folder, open) {
    const expanded = open === undefined ? folder.getAttribute("aria-expanded") !== "true" : open;
    folder.setAttribute("aria-expanded", String(expanded));
  }

  tree.addEventListener("keydown", (event) => {
    const item = event.target.closest("[role=treeitem]");
    if (!item) return;
    const items = visible();
    const index = items.indexOf(item);
    const isFolder = item.classList.contains("folder");
    const parent = item.parentElement.closest("[role=treeitem]");
    let target = null;
    switch (event.key) {
      case "ArrowDown":
        target = items[index + 1];
        break;
      case "ArrowUp":
        target = items[index - 1];
        break;
      case "Home":
        target = items[0];
        break;
      case "End":
        target = items[items.length - 1];
        break;
      case "ArrowRight":
        if (isFolder && item.getAttribute("aria-expanded") !== "true") toggle(item, true);
        else if (isFolder) target = items[index + 1];
        break;
      case "ArrowLeft":
        if (isFolder && item.getAttribute("aria-expanded") === "true") toggle(item, false);
        else if (parent) target = parent;
        break;
      case "Enter":
      case " ":
        if (isFolder) toggle(item);
        else onOpen(item.dataset.path);
        break;
      default:
        return;
    }
    event.preventDefault();
    if (target) focusItem(target);
  });

  /** Marks `path` as the open file (and the tree's tab stop). */
  function select(path) {
    for (const [other, item] of byPath) {
      item.setAttribute("aria-selected", String(other === path));
      item.tabIndex = other === path ? 0 : -1;
    }
    for (const folder of tree.querySelectorAll(".folder")) folder.tabIndex = -1;
  }

  return { element: el("div", { class: "file-tree-box" }, tree, legend), select };
}
