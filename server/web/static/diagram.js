// Lineage diagrams wider than the screen scroll sideways: start with the page's model in view.
"use strict";
for (const box of document.querySelectorAll(".diagram")) {
  const focus = box.querySelector(".ld-focus");
  if (focus && box.scrollWidth > box.clientWidth) {
    const node = focus.getBoundingClientRect();
    const frame = box.getBoundingClientRect();
    box.scrollLeft += node.left + node.width / 2 - (frame.left + frame.width / 2);
  }
}
