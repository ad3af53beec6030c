/* Newsletter signup forms answer in place: POST with fetch, show the answer in the form's
   live region. Without this script the same forms post normally and land on a page.

   The form's stamp (newsletter/tokens.py) works once and for a short while, and the one in
   the HTML is as old as the cached page and shared by every visitor: this script fetches a
   fresh one when the reader first turns to the form (not on every page view: the pages stay
   cheap to serve under a spike), and again if that one is near its end; after a signup, or a
   stale-form answer, the server's answer carries a new one. */
(function () {
  "use strict";

  function showError(form, input, errorBox, text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
    var consentId = input.id.replace(/-email$/, "-consent");
    if (text) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", errorBox.id + " " + consentId);
    } else {
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", consentId);
    }
  }

  function freshStamp(form) {
    var field = form.querySelector("input[name=stamp]");
    return fetch(form.dataset.stampUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer && answer.stamp) {
          field.value = answer.stamp;
          form.dataset.stampExpires = String(Date.now() + answer.max_age * 1000);
        }
      })
      .catch(function () {
        /* Keep the page's own stamp: the server says if it is out of date. */
      });
  }

  function enhance(form) {
    var input = form.querySelector("input[name=email]");
    var button = form.querySelector("button[type=submit]");
    var message = form.querySelector("[role=status]");
    var errorBox = document.getElementById(input.id + "-error");
    var stampReady = null;
    form.noValidate = true;

    function ensureStamp() {
      var expires = Number(form.dataset.stampExpires || 0);
      if (!stampReady || (expires && Date.now() > expires - 5 * 60 * 1000)) {
        stampReady = freshStamp(form);
      }
      return stampReady;
    }
    form.addEventListener("focusin", ensureStamp);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) {
        return;
      }
      button.disabled = true;
      message.textContent = "Sending…";
      showError(form, input, errorBox, "");
      ensureStamp()
        .then(function () {
          return fetch(form.action, {
            method: "POST",
            body: new FormData(form),
            headers: { Accept: "application/json" },
            credentials: "same-origin"
          });
        })
        .then(function (response) {
          return response.json().catch(function () {
            return { ok: false, message: "Something went wrong. Please try again later." };
          });
        })
        .then(function (answer) {
          var emailErrors = (answer.errors && answer.errors.email) || [];
          if (answer.stamp) {
            form.querySelector("input[name=stamp]").value = answer.stamp;
          }
          if (answer.ok) {
            message.textContent = answer.message;
            form.classList.add("signup-form--done");
            input.value = "";
          } else if (emailErrors.length) {
            message.textContent = "";
            showError(form, input, errorBox, emailErrors[0]);
            input.focus();
          } else {
            message.textContent = answer.message;
          }
        })
        .catch(function () {
          message.textContent = "We could not reach the site. Check your connection and try again.";
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  document.querySelectorAll("form[data-signup-form]").forEach(enhance);
})();
