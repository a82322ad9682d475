// The scenario's code editor: CodeMirror 6, vendored as pinned files
// (static/vendor/codemirror, named by the page's import map). Highlighting by file
// extension (Python, YAML, SQL; plain text otherwise) through class names styled in
// assay.css; Tab indents the line (Shift+Tab outdents), Enter keeps the indentation,
// Ctrl+F finds. The keyboard is never trapped (see createEditor), and Ctrl+M (Shift+Option+M
// on a Mac) switches Tab to moving focus for as long as the candidate wants. A read-only file can be read,
// selected and searched but not changed, and Tab leaves it as usual.

import { EditorState } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { classHighlighter } from "@lezer/highlight";
import { python } from "@codemirror/lang-python";
import { yaml } from "@codemirror/lang-yaml";
import { sql } from "@codemirror/lang-sql";

const LANGUAGES = {
  py: { name: "Python", support: python },
  yaml: { name: "YAML", support: yaml },
  yml: { name: "YAML", support: yaml },
  sql: { name: "SQL", support: sql },
};
// YAML is written with two-space indents; everything else here with four.
const INDENTS = { yaml: "  ", yml: "  " };
const PASS_THROUGH_MS = 10 * 60 * 1000;

// CodeMirror's own keys for switching Tab to moving focus, and for finding, by platform.
const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const [TAB_MODE_KEY, FIND_KEY] = MAC ? ["Shift+Option+M", "Cmd+F"] : ["Ctrl+M", "Ctrl+F"];

export const EDITOR_HELP =
  "Once you type, Tab indents the line and Shift+Tab outdents it. To leave the editor, " +
  `press Escape, then Tab (${TAB_MODE_KEY} makes Tab move between controls until you press it again). ` +
  `${FIND_KEY} finds text.`;

function extensionOf(path) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/** The language a path is highlighted as ("Python", "YAML", "SQL"), or "Plain text". */
export function languageName(path) {
  const language = LANGUAGES[extensionOf(path)];
  return language ? language.name : "Plain text";
}

/**
 * One file's editor state: {path, text, readOnly, label, describedBy, styleNonce,
 * onChange(text), onUpdate(state)}. Kept per file, so undo history and the cursor survive
 * switching files. CodeMirror writes its base styles into a style element, which the
 * page's policy admits by the nonce it was served with (`styleNonce`).
 */
export function fileState({ path, text, readOnly, label, describedBy, styleNonce, onChange, onUpdate }) {
  const ext = extensionOf(path);
  const language = LANGUAGES[ext];
  // A tab stop by its own right (as a text box is), so the scroller around it counts as
  // reachable by keyboard.
  const attributes = { "aria-label": label, "aria-describedby": describedBy, tabindex: "0" };
  if (readOnly) attributes["aria-readonly"] = "true";
  return EditorState.create({
    doc: text,
    extensions: [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      search({ top: true }),
      syntaxHighlighting(classHighlighter),
      indentUnit.of(INDENTS[ext] || "    "),
      EditorState.tabSize.of(4),
      keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
      EditorState.readOnly.of(readOnly),
      EditorView.contentAttributes.of(attributes),
      EditorView.cspNonce.of(styleNonce),
      language ? language.support() : [],
      EditorView.updateListener.of((update) => {
        onUpdate(update.state);
        if (update.docChanged && !readOnly) onChange(update.state.doc.toString());
      }),
    ],
  });
}

/**
 * The editor's view, showing `state` (`view.setState` switches files), and never a trap
 * for the keyboard: reached by Tab (or Shift+Tab), Tab moves on through it until a key is
 * typed; once typing, Escape then Tab leaves (CodeMirror allows two seconds for that; here
 * the way out stays open until another key is pressed or focus leaves).
 */
export function createEditor(state) {
  const view = new EditorView({ state });
  let byPointer = false;
  view.dom.addEventListener("pointerdown", () => {
    byPointer = true;
  }, true);
  view.contentDOM.addEventListener("focus", () => {
    if (!byPointer) view.setTabFocusMode(PASS_THROUGH_MS);
    byPointer = false;
  });
  view.contentDOM.addEventListener("keydown", (event) => {
    // After CodeMirror's own Escape handling, which this same dispatch runs.
    if (event.key === "Escape") queueMicrotask(() => view.setTabFocusMode(PASS_THROUGH_MS));
  });
  view.contentDOM.addEventListener("blur", () => {
    view.setTabFocusMode(0); // ends a temporary way out; a Ctrl+M choice stays
  });
  return view;
}
