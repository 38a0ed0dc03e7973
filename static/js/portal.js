// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  if (form.method.toLowerCase() !== "post") {
    return;
  }
  // One submission at a time: a second click waits for the page the first one brings
  // (the server's submission key holds without this).
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  // Disabled after the browser has read the clicked button's name and value.
  window.setTimeout(() => {
    form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")
      .forEach((button) => {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
  }, 0);
});

function releaseForms() {
  document.querySelectorAll("form[data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
    form.querySelectorAll("[aria-busy]").forEach((button) => {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });
}

// Back to a page kept in the browser's cache: its forms can be sent again. A form that
// answers with a download leaves the page where it is: released after a few seconds.
window.addEventListener("pageshow", releaseForms);
document.addEventListener("submit", () => window.setTimeout(releaseForms, 8000));

// Bring the error summary into view so that keyboard and screen-reader users hear it.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".alert-error[tabindex='-1']");
  if (summary) {
    summary.focus();
  }
});

// Before an idle sign-out, offer to stay signed in (the server decides; this only warns).
document.addEventListener("DOMContentLoaded", () => {
  const body = document.body;
  const idle = Number(body.dataset.sessionIdle || 0);
  if (!idle) {
    return;
  }
  const warning = document.getElementById("session-warning");
  const button = document.getElementById("session-keepalive");
  const lead = Number(body.dataset.sessionWarning || 120);
  let timer;
  const arm = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      warning.hidden = false;
      button.focus();
    }, Math.max(idle - lead, 1) * 1000);
  };
  button.addEventListener("click", () => {
    fetch(body.dataset.keepalive, {
      method: "POST",
      headers: { "X-CSRFToken": body.dataset.csrf },
      credentials: "same-origin",
    }).then((response) => {
      if (response.ok) {
        warning.hidden = true;
        arm();
      } else {
        window.location.reload(); // signed out meanwhile: the sign-in page
      }
    });
  });
  arm();
});

// The phone menu opens in place (without script, « Menu » is a link to it); one group of
// the navigation open at a time, closed by Escape or a click elsewhere.
(() => {
  const menu = document.getElementById("menu");
  const opener = document.querySelector(".menu-open");
  if (!menu || !opener) {
    return;
  }
  const setOpen = (open) => {
    menu.classList.toggle("open", open);
    opener.setAttribute("aria-expanded", String(open));
  };
  opener.addEventListener("click", (event) => {
    event.preventDefault();
    setOpen(!menu.classList.contains("open"));
  });
  menu.querySelector(".menu-close")?.addEventListener("click", (event) => {
    event.preventDefault();
    setOpen(false);
    opener.focus();
  });
  const groups = menu.querySelectorAll(".nav-group details");
  groups.forEach((group) => {
    group.addEventListener("toggle", () => {
      if (group.open) {
        groups.forEach((other) => { if (other !== group) other.open = false; });
      }
    });
  });
  document.addEventListener("click", (event) => {
    groups.forEach((group) => { if (!group.contains(event.target)) group.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") {
      return;
    }
    groups.forEach((group) => {
      if (group.open) {
        group.open = false;
        group.querySelector("summary").focus();
      }
    });
  });
})();

// A table wider than its frame scrolls: the frame is then reachable by keyboard, named after
// the table, and says so (CSS shows the hint); re-checked when the window changes size.
(() => {
  const frames = document.querySelectorAll(".table-wrap");
  if (!frames.length) {
    return;
  }
  const mark = () => {
    frames.forEach((frame) => {
      const scrolls = frame.scrollWidth > frame.clientWidth + 1;
      frame.classList.toggle("scrolls", scrolls);
      frame.dataset.hint = "Faites défiler le tableau horizontalement →";
      if (frame.hasAttribute("tabindex") && !frame.dataset.madeReachable) {
        return; // the page made this frame reachable itself
      }
      if (scrolls) {
        const title = frame.querySelector("caption")
          || frame.closest("section")?.querySelector("h2, h3");
        frame.dataset.madeReachable = "1";
        frame.setAttribute("tabindex", "0");
        frame.setAttribute("role", "region");
        frame.setAttribute("aria-label", title ? title.textContent.trim() : "Tableau");
      } else if (frame.dataset.madeReachable) {
        delete frame.dataset.madeReachable;
        ["tabindex", "role", "aria-label"].forEach((name) => frame.removeAttribute(name));
      }
    });
  };
  mark();
  window.addEventListener("resize", mark);
})();
