// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Bring the error summary into view so that keyboard and screen-reader users hear it.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".alert-error[tabindex='-1']");
  if (summary) {
    summary.focus();
  }
});
