// Landlords' simulator: results follow the form as the owner types. Without JavaScript the
// same GET form shows the same results after « Calculer ».
(() => {
  const form = document.getElementById("simulator-form");
  const results = document.getElementById("simulator-results");
  if (!form || !results) {
    return;
  }
  let timer = null;
  let latest = 0;

  const refresh = async () => {
    const params = new URLSearchParams(new FormData(form));
    const request = ++latest;
    const pageUrl = `${form.dataset.partialUrl}?${params}`;
    params.set("partial", "1");
    try {
      const response = await fetch(`${form.dataset.partialUrl}?${params}`, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (request !== latest) {
        return; // a newer request is on its way
      }
      results.innerHTML = await response.text();
      window.history.replaceState(null, "", pageUrl);
    } catch {
      // Offline or server error: the « Calculer » button still works.
    }
  };

  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 350);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
