// The candidate's own marks on an item: options struck out and a note to self. They
// are working notes, not answers: kept on this device (they survive a reload), never
// sent to the server, never graded.

export class Marks {
  constructor(attemptId) {
    this.key = `assay.marks.${attemptId}`;
    try {
      this.data = JSON.parse(localStorage.getItem(this.key) || "{}");
    } catch (err) {
      this.data = {};
    }
  }

  of(ref) {
    return this.data[ref] || { struck: [], note: "" };
  }

  isStruck(ref, option) {
    return this.of(ref).struck.includes(option);
  }

  toggleStruck(ref, option) {
    const marks = this.of(ref);
    const struck = marks.struck.includes(option)
      ? marks.struck.filter((o) => o !== option)
      : [...marks.struck, option];
    this.data[ref] = { ...marks, struck };
    this.persist();
    return struck.includes(option);
  }

  note(ref) {
    return this.of(ref).note;
  }

  setNote(ref, text) {
    this.data[ref] = { ...this.of(ref), note: text };
    this.persist();
  }

  persist() {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.data));
    } catch (err) {
      // Storage full or off: the marks last as long as the page.
    }
  }
}
