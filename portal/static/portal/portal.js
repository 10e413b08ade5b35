// The portal's only script: copy buttons and Chart.js charts (data from json_script tags).
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  input.select();
  const done = () => { button.textContent = "Copied"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, () => document.execCommand("copy") && done());
  } else if (document.execCommand("copy")) {
    done();
  }
});

const COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"];
document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
  const data = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
  const money = (set) => !["clicks", "conversions"].includes(set.metric);
  const hasMoney = data.datasets.some(money);
  const hasCounts = data.datasets.some((set) => !money(set));
  data.datasets.forEach((set, i) => {
    set.borderColor = set.backgroundColor = COLORS[i % COLORS.length];
    set.yAxisID = money(set) && hasCounts ? "money" : "y";
    set.tension = 0.25;
  });
  const scales = { y: { beginAtZero: true, position: "left" } };
  if (hasMoney && hasCounts) scales.money = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } };
  new Chart(canvas, {
    type: canvas.dataset.kind || "line",
    data,
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales, interaction: { mode: "index", intersect: false } },
  });
});

// A form with data-confirm asks before it is sent (ending an override, rejecting in bulk...).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Header menus (<details class="menu">) work without this; it only closes an open one on Escape
// (focus back on its summary) or on a click outside it, as a menu is expected to.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = event.target.closest && event.target.closest("header details.menu[open]");
  if (!open) return;
  open.open = false;
  open.querySelector("summary").focus();
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("header details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
});
