// Self-check questions that ask for a number (book/_ext/instructor.py writes the forms).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form.selfcheck-number");
  if (!form) return;
  event.preventDefault();
  const given = parseFloat(form.querySelector("input").value.replace(",", "."));
  const answer = parseFloat(form.dataset.answer), tolerance = parseFloat(form.dataset.tolerance);
  const output = form.querySelector("output");
  if (Number.isNaN(given)) output.textContent = "Type a number first.";
  else if (Math.abs(given - answer) <= tolerance) output.textContent = "Right. Open the answer to see why.";
  else output.textContent = "Not yet: that is too " + (given < answer ? "low" : "high") + ".";
});
