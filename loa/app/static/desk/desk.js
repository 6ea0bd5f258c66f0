// Progressive enhancement only: every form works without this file.
// Live character count for fields with a budget (the board text).
document.querySelectorAll("textarea[data-budget]").forEach((area) => {
  const budget = Number(area.dataset.budget);
  const counter = document.getElementById(area.getAttribute("aria-describedby"));
  if (!counter) return;
  const update = () => {
    const used = area.value.trim().length;
    counter.textContent = `${used}/${budget} ký tự` + (used > budget ? ` — vượt ${used - budget} ký tự` : "");
    counter.classList.toggle("over", used > budget);
  };
  area.addEventListener("input", update);
  update();
});
