// Progressive enhancement for sign-up forms: submit with fetch and show the answer in place.
// Without this script the forms still work as a normal POST.
(function () {
  "use strict";

  var tokenUrl = "/subscribe/form-token";
  var refreshed = false;

  function setTokens(token) {
    document.querySelectorAll("form[data-subscribe] input[name=form_token]").forEach(function (el) {
      el.value = token;
    });
  }

  // A page served from a cache carries the token of whenever it was rendered; take a fresh
  // one when the reader starts on a form, so the minimum fill time measures the reader.
  function refreshToken(event) {
    if (refreshed || !event.target.closest || !event.target.closest("form[data-subscribe]")) return;
    refreshed = true;
    fetch(tokenUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) { if (data.token) setTokens(data.token); })
      .catch(function () { refreshed = false; });
  }

  function paragraph(className, text) {
    var p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    return p;
  }

  function show(form, data) {
    var answer = form.querySelector(".subscribe__answer");
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      el.textContent = (data.errors && data.errors[el.dataset.errorFor]) || "";
    });
    if (data.form_token) setTokens(data.form_token);
    var email = form.querySelector("input[name=email]");
    answer.innerHTML = "";
    if (data.ok) {
      email.removeAttribute("aria-invalid");
      var heading = document.createElement("h3");
      heading.textContent = data.heading;
      answer.append(heading, paragraph("", data.message));
      if (data.suggestion) {
        // Leave the form open with the likely address filled in: one click signs it up.
        answer.append(paragraph("subscribe__suggestion", data.suggestion));
        email.value = data.suggested_email;
      } else {
        form.classList.add("subscribe--done");
      }
    } else {
      if (data.message) answer.append(paragraph("", data.message));
      if (data.errors && data.errors.email) {
        email.setAttribute("aria-invalid", "true");
        email.focus();
      }
    }
  }

  function submit(event) {
    var form = event.target;
    if (!form.matches("form[data-subscribe]") || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().catch(function () {
          throw new Error("not json");
        });
      })
      .then(function (data) { show(form, data); })
      .catch(function () { form.submit(); })  // network trouble: fall back to a normal POST
      .finally(function () { button.disabled = false; });
  }

  document.addEventListener("focusin", refreshToken);
  document.addEventListener("submit", submit);
})();
