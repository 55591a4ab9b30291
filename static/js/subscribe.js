// Progressive enhancement for sign-up forms: submit with fetch and show the answer in place,
// ask "Did you mean …?" before anything is sent, and name the ticked lists in the consent
// line. Without this script the forms still work as a normal POST, and the server asks the
// same question and names the same lists.
(function () {
  "use strict";

  var typoDomains = [];  // typos.COMMON_DOMAINS, from the token's answer

  function subscribeForms() {
    return document.querySelectorAll("form[data-subscribe]");
  }

  // The form token's address, beside the form's action (/subscribe/form-token): on another
  // site's page (the admin's embed code) the action is this site's absolute /subscribe/, so
  // the token comes from this site too.
  function tokenUrl(form) {
    return new URL("form-token", form.action).href;
  }

  // Only the forms that post where the token was made: a token is signed by its own site.
  function setTokens(url, token) {
    subscribeForms().forEach(function (form) {
      if (tokenUrl(form) === url) form.querySelector("input[name=form_token]").value = token;
    });
  }

  // The minimum fill time counts from the page view: a page served from a cache carries the
  // token of whenever it was rendered, so take a fresh one once, as the page loads (once per
  // site the page's forms post to). Never on focus: a reader whose browser autofills the
  // address and who presses Subscribe at once must not be taken for a bot.
  function fetchTokens() {
    if (!window.fetch) return;
    var urls = [];
    subscribeForms().forEach(function (form) {
      if (urls.indexOf(tokenUrl(form)) < 0) urls.push(tokenUrl(form));
    });
    urls.forEach(function (url) {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.token) setTokens(url, data.token);
          if (Array.isArray(data.typo_domains)) typoDomains = data.typo_domains;
        })
        .catch(function () {});  // the page's own token still works; the server asks typos
    });
  }

  // An embedded form leaves its page empty: the consent records the page the reader is on
  // (without its query, which may carry anything).
  function fillPage(form) {
    var page = form.querySelector("input[name=page]");
    if (page && !page.value) page.value = location.origin + location.pathname;
  }

  // "%(name)s" placeholders, as Python's % fills them (one pass: a value is never re-read).
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) { return values[key]; });
  }

  // The consent line names exactly the lists ticked, as consent.wording() stores it.
  function nameTicked(form) {
    var line = form.querySelector(".subscribe__consent[data-named]");
    if (!line) return;
    var names = [];
    form.querySelectorAll("input[name=newsletter]:checked").forEach(function (box) {
      names.push(box.dataset.name);
    });
    if (!names.length) {
      line.textContent = line.dataset.unnamed;
      return;
    }
    var lists = names.length === 1 ? names[0] : fill(line.dataset.lastOfSeveral, {
      most: names.slice(0, -1).join(", "), last: names[names.length - 1],
    });
    line.textContent = fill(line.dataset.named, { lists: lists });
  }

  // How many characters two strings share, as Python's difflib.SequenceMatcher counts them
  // (Ratcliff/Obershelp: the longest common block, earliest in a then in b, then the same on
  // either side of it), so that the page asks exactly what typos.suggest() would.
  function matching(a, b) {
    var total = 0;
    var queue = [[0, a.length, 0, b.length]];
    while (queue.length) {
      var q = queue.pop();
      var bestI = q[0], bestJ = q[2], bestK = 0;
      for (var i = q[0]; i < q[1]; i++) {
        for (var j = q[2]; j < q[3]; j++) {
          var k = 0;
          while (i + k < q[1] && j + k < q[3] && a[i + k] === b[j + k]) k++;
          if (k > bestK) { bestI = i; bestJ = j; bestK = k; }
        }
      }
      if (bestK) {
        total += bestK;
        queue.push([q[0], bestI, q[2], bestJ], [bestI + bestK, q[1], bestJ + bestK, q[3]]);
      }
    }
    return total;
  }

  // typos.suggest(): the closest common domain at a ratio of 0.8 or more (ties: the greater
  // name, as difflib.get_close_matches picks them), for a domain that isn't common itself or
  // a subdomain of one.
  function suggest(email, domains) {
    var at = email.lastIndexOf("@");
    var local = email.slice(0, at), domain = email.slice(at + 1).toLowerCase();
    var mine = domains.some(function (common) {  // a common domain, or a subdomain of one
      return domain === common || domain.slice(-common.length - 1) === "." + common;
    });
    if (at < 1 || mine) return "";
    var best = "", bestScore = 0;
    domains.forEach(function (candidate) {
      var score = 2.0 * matching(candidate, domain) / (candidate.length + domain.length);
      if (score >= 0.8 && (score > bestScore || (score === bestScore && candidate > best))) {
        best = candidate;
        bestScore = score;
      }
    });
    return best ? local + "@" + best : "";
  }

  function paragraph(className, text) {
    var p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    return p;
  }

  function choice(form, template, address, className) {
    var button = document.createElement("button");
    button.type = "submit";
    button.name = "email_choice";
    button.value = address;
    button.className = className;
    button.textContent = fill(form.dataset[template], { address: address });
    return button;
  }

  // The same question the server asks a form without script: nothing is sent until the
  // reader chooses.
  function ask(form, typed, suggested) {
    var answer = form.querySelector(".subscribe__answer");
    var box = document.createElement("div");
    box.className = "subscribe__question";
    box.append(
      paragraph("", fill(form.dataset.ask, { address: suggested })),
      choice(form, "use", suggested, "subscribe__choice"),
      choice(form, "keep", typed, "subscribe__choice subscribe__choice--keep")
    );
    answer.innerHTML = "";
    answer.append(box);
  }

  function show(form, data) {
    var answer = form.querySelector(".subscribe__answer");
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      el.textContent = (data.errors && data.errors[el.dataset.errorFor]) || "";
    });
    if (data.form_token) setTokens(tokenUrl(form), data.form_token);
    var email = form.querySelector("input[name=email]");
    answer.innerHTML = "";
    if (data.ok) {
      email.removeAttribute("aria-invalid");
      var heading = document.createElement("h3");
      heading.textContent = data.heading;
      answer.append(heading, paragraph("", data.message));
      form.classList.add("subscribe--done");
    } else if (data.question) {
      ask(form, data.question.typed, data.question.suggested);
    } else if (data.captcha) {
      form.submit();  // the captcha's widget comes with a page of its own
    } else {
      if (data.message) answer.append(paragraph("", data.message));
      if (data.errors && data.errors.email) {
        email.setAttribute("aria-invalid", "true");
        email.focus();
      }
    }
  }

  function send(form) {
    var button = form.querySelector("button.subscribe__button");
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

  function submit(event) {
    var form = event.target;
    if (!form.matches("form[data-subscribe]") || !window.fetch) return;
    event.preventDefault();
    var email = form.querySelector("input[name=email]");
    var checked = form.querySelector("input[name=email_checked]");
    var suggested = checked.value === email.value ? "" : suggest(email.value.trim(), typoDomains);
    if (suggested) ask(form, email.value.trim(), suggested);
    else send(form);
  }

  // Either answer to the question is the address the reader checked: it goes as it is.
  function chose(event) {
    var button = event.target.closest && event.target.closest("button[name=email_choice]");
    if (!button) return;
    var form = button.form;
    form.querySelector("input[name=email]").value = button.value;
    form.querySelector("input[name=email_checked]").value = button.value;
  }

  function ticked(event) {
    if (event.target.name === "newsletter" && event.target.form) nameTicked(event.target.form);
  }

  // For a test that compares the page's suggestions with typos.suggest().
  window.newsroomSubscribe = { suggest: suggest };

  subscribeForms().forEach(nameTicked);  // a form shown again with the reader's own ticks
  subscribeForms().forEach(fillPage);
  fetchTokens();
  document.addEventListener("click", chose);
  document.addEventListener("change", ticked);
  document.addEventListener("submit", submit);
})();
