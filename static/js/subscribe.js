// Progressive enhancement for sign-up forms: submit with fetch and show the answer in place.
// Without this script the forms still work as a normal POST.
(function () {
  "use strict";

  function show(form, data) {
    var answer = form.querySelector(".subscribe__answer");
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      el.textContent = (data.errors && data.errors[el.dataset.errorFor]) || "";
    });
    var email = form.querySelector("input[name=email]");
    if (data.ok) {
      email.removeAttribute("aria-invalid");
      answer.innerHTML = "";
      var heading = document.createElement("h3");
      heading.textContent = data.heading;
      var text = document.createElement("p");
      text.textContent = data.message;
      answer.append(heading, text);
      form.classList.add("subscribe--done");
    } else {
      answer.textContent = data.message || "";
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

  document.addEventListener("submit", submit);
})();
