/* Tuyến: the @mention picker on a case's comment and reply forms. No build step, no library.
 *
 * Progressive enhancement: without this script the forms post comments without mentions. With
 * it, typing "@" and the start of a name (at the start of a word) asks the server for doctors
 * who can see the case (GET <data-mention-source>?q=..., JSON {results: [{id, name, title,
 * facility, mention}]}, the same rule the comment service applies to mentions). Choosing one
 * (click, or arrow keys and Enter/Tab) writes "@" and their given name ("@Sơn ", not the full
 * name, which the identifier guard would take for a patient's) into the text, and adds a ticked
 * box <input type=checkbox name=mentions value=<doctor's public id>> labelled with the full name:
 * the service takes mentions as ids and never parses the text. Deleting "@Sơn" from the text
 * removes its box; unticking it drops the mention too.
 */
(function () {
  "use strict";

  var section = document.querySelector("[data-mention-source]");
  if (!section || !window.fetch || !window.JSON) return;

  var SOURCE = section.getAttribute("data-mention-source");
  var LIST_LABEL = section.getAttribute("data-mention-list-label") || "";
  var LEGEND = section.getAttribute("data-mention-legend") || "";
  var HELP = section.getAttribute("data-mention-help") || "";
  var MAX_LENGTH = 60; // characters typed after "@" before we stop suggesting
  var MAX_WORDS = 4; // a full name: family, middle and given names
  var DELAY = 150; // ms of typing pause before asking the server
  var START_OF_WORD = /[\s([{,;:"'“]/;

  var pickers = 0;

  function enhance(form) {
    var textarea = form.querySelector("textarea[name=body]");
    if (!textarea) return;
    pickers += 1;
    var listId = "mention-suggestions-" + pickers;
    var results = [];
    var active = -1;
    var token = null;
    var timer = null;
    var asked = 0; // the number of the latest request: older answers are ignored
    var controller = null;

    var anchor = document.createElement("div");
    anchor.className = "mention-anchor";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-suggestions";
    list.setAttribute("role", "listbox");
    if (LIST_LABEL) list.setAttribute("aria-label", LIST_LABEL);
    list.hidden = true;
    anchor.appendChild(list);
    textarea.parentNode.insertBefore(anchor, textarea.nextSibling);

    if (HELP) {
      var help = document.createElement("span");
      help.className = "mention-help";
      help.id = listId + "-help";
      help.textContent = HELP;
      anchor.parentNode.insertBefore(help, anchor.nextSibling);
      var described = textarea.getAttribute("aria-describedby");
      textarea.setAttribute("aria-describedby", (described ? described + " " : "") + help.id);
    }
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);
    textarea.setAttribute("aria-expanded", "false");
    form.setAttribute("data-mention-ready", "");

    function currentToken() {
      var caret = textarea.selectionStart;
      if (caret === null || caret !== textarea.selectionEnd) return null;
      var before = textarea.value.slice(0, caret);
      var at = before.lastIndexOf("@");
      if (at < 0) return null;
      if (at > 0 && !START_OF_WORD.test(before.charAt(at - 1))) return null; // an e-mail address
      var query = before.slice(at + 1);
      if (!query || query.length > MAX_LENGTH || /^\s|[\n@]/.test(query)) return null;
      if (query.split(/\s+/).length > MAX_WORDS) return null;
      return { start: at, end: caret, query: query };
    }

    function close() {
      clearTimeout(timer);
      if (controller) controller.abort();
      controller = null;
      asked += 1;
      results = [];
      active = -1;
      list.hidden = true;
      list.textContent = "";
      textarea.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      var options = list.children;
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        textarea.setAttribute("aria-activedescendant", options[index].id);
        if (options[index].scrollIntoView) options[index].scrollIntoView({ block: "nearest" });
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      results = found;
      list.textContent = "";
      if (!found.length) {
        close();
        return;
      }
      found.forEach(function (person, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("data-doctor-id", person.id);
        option.appendChild(document.createTextNode(person.name));
        var detail = [person.title, person.facility].filter(Boolean).join(" · ");
        if (detail) {
          var small = document.createElement("span");
          small.className = "mention-detail";
          small.textContent = detail;
          option.appendChild(small);
        }
        // mousedown, not click: the text area keeps the focus (and the caret).
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      textarea.setAttribute("aria-expanded", "true");
      highlight(0);
    }

    function ask(query) {
      if (controller) controller.abort();
      controller = "AbortController" in window ? new AbortController() : null;
      asked += 1;
      var number = asked;
      fetch(SOURCE + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (number === asked) show((data && data.results) || []);
        })
        .catch(function () {
          if (number === asked) close();
        });
    }

    function chipsBox() {
      var box = form.querySelector("[data-mention-chips]");
      if (box) return box;
      box = document.createElement("div");
      box.className = "field mentions";
      box.setAttribute("data-mention-chips", "");
      var fieldset = document.createElement("fieldset");
      var legend = document.createElement("legend");
      legend.textContent = LEGEND;
      var chips = document.createElement("ul");
      chips.className = "mention-chips";
      fieldset.appendChild(legend);
      fieldset.appendChild(chips);
      box.appendChild(fieldset);
      var submit = form.querySelector("button[type=submit]");
      form.insertBefore(box, submit);
      return box;
    }

    function addChip(person) {
      var box = chipsBox();
      var boxes = box.querySelectorAll("input[name=mentions]");
      for (var i = 0; i < boxes.length; i += 1) {
        if (boxes[i].value === person.id) {
          boxes[i].checked = true;
          return;
        }
      }
      var item = document.createElement("li");
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "checkbox";
      input.name = "mentions";
      input.value = person.id;
      input.checked = true;
      input.setAttribute("data-mention-text", person.mention);
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + person.name));
      item.appendChild(label);
      box.querySelector(".mention-chips").appendChild(item);
      box.hidden = false;
    }

    // A doctor whose "@Sơn" is no longer in the text is no longer mentioned.
    function dropRemovedMentions() {
      var box = form.querySelector("[data-mention-chips]");
      if (!box) return;
      var boxes = box.querySelectorAll("input[name=mentions][data-mention-text]");
      for (var i = 0; i < boxes.length; i += 1) {
        if (textarea.value.indexOf(boxes[i].getAttribute("data-mention-text")) < 0) {
          var item = boxes[i].closest("li");
          if (item) item.parentNode.removeChild(item);
        }
      }
      if (!box.querySelector("input[name=mentions]") && !box.querySelector(".errorlist")) box.hidden = true;
    }

    function choose(index) {
      var person = results[index];
      if (!person || !token) return;
      var text = textarea.value;
      var inserted = person.mention + " ";
      textarea.value = text.slice(0, token.start) + inserted + text.slice(token.end);
      var caret = token.start + inserted.length;
      textarea.setSelectionRange(caret, caret);
      addChip(person);
      close();
      textarea.focus();
    }

    textarea.addEventListener("input", function () {
      dropRemovedMentions();
      token = currentToken();
      clearTimeout(timer);
      if (!token) {
        close();
        return;
      }
      var query = token.query;
      timer = setTimeout(function () {
        ask(query);
      }, DELAY);
    });

    textarea.addEventListener("keydown", function (event) {
      if (list.hidden || !results.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % results.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + results.length) % results.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });

    textarea.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
  }

  Array.prototype.forEach.call(section.querySelectorAll("form[data-mention-picker]"), enhance);
})();
