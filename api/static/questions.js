/* The question picker of /ui: one list of the coherence questions (queries/*.rq) with their parameter fields,
   instead of one YASGUI tab per question. Choosing a question and its values loads the bound query (the server binds
   the values as RDF terms: GET /coherence/ID/requete) into the editor and runs it. When a query finds nothing, the
   page asks the server why it might (POST /coherence/indices: labels to match on their normalised form…).
   It also puts YASGUI's own words in French where YASGUI has no setting for them. */
(function () {
  "use strict";

  var FRENCH = {
    "Query": "Requête", "Table": "Tableau", "Response": "Réponse", "Download result": "Télécharger le résultat",
    "Filter query results": "Filtrer les résultats", "Search": "Rechercher", "Show all": "Tout afficher",
    "Simple view": "Vue simple", "Ellipse": "Abréger", "Share query": "Partager la requête",
    "Run query": "Lancer la requête", "Expand": "Agrandir", "Collapse": "Réduire", "Rows per page": "Lignes par page",
    "Previous": "Précédent", "Next": "Suivant", "Showing": "Affichage", "of": "sur", "results": "résultats",
    "No results": "Aucun résultat", "Add tab": "Nouvel onglet", "Close tab": "Fermer l'onglet",
    "Fullscreen": "Plein écran", "Copy to clipboard": "Copier", "Shorten": "Raccourcir",
    "Resulting query is empty": "La requête ne renvoie rien", "Error": "Erreur",
    "Query returned no results": "La requête ne renvoie aucun résultat"
  };

  var PATTERNS = [
    [/^Showing (\d+) to (\d+) of (\d+) entries$/, "Lignes $1 à $2 sur $3"],
    [/^(\d+) results? in ([\d.]+) seconds?$/, "$1 résultat(s) en $2 s"],
    [/^Page size:$/, "Lignes par page :"]
  ];

  function french(text) {
    if (FRENCH[text]) return FRENCH[text];
    for (var i = 0; i < PATTERNS.length; i++) {
      if (PATTERNS[i][0].test(text)) return text.replace(PATTERNS[i][0], PATTERNS[i][1]);
    }
    return null;
  }

  function translate(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue.trim();
      var translated = text && french(text);
      if (translated) node.nodeValue = node.nodeValue.replace(text, translated);
    }
    root.querySelectorAll("[title], [placeholder], [aria-label]").forEach(function (el) {
      ["title", "placeholder", "aria-label"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && FRENCH[value.trim()]) el.setAttribute(attr, FRENCH[value.trim()]);
      });
    });
  }

  function field(param) {
    var id = "param-" + param.name;
    var wrap = document.createElement("div");
    wrap.className = "param";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = param.name + " — " + param.doc;
    var input;
    if (param.type === "enum" || param.type === "boolean") {
      input = document.createElement("select");
      (param.type === "enum" ? param.values : ["true", "false"]).forEach(function (v) {
        var option = document.createElement("option");
        option.value = v;
        option.textContent = param.type === "boolean" ? (v === "true" ? "oui" : "non") : v;
        input.appendChild(option);
      });
    } else {
      input = document.createElement("input");
      input.type = { date: "date", year: "number", integer: "number", decimal: "number" }[param.type] || "text";
      if (param.type === "decimal") input.step = "any";
    }
    input.id = id;
    input.name = param.name;
    input.value = param.default;
    wrap.appendChild(label);
    wrap.appendChild(input);
    return wrap;
  }

  function hint(box, query) {
    fetch("/coherence/indices", { method: "POST", body: query, headers: { "Content-Type": "text/plain" } })
      .then(function (r) { return r.ok ? r.json() : { indices: [] }; })
      .then(function (data) {
        box.innerHTML = "";
        if (!data.indices.length) return;
        var title = document.createElement("p");
        title.textContent = "La requête ne renvoie rien. Pistes :";
        box.appendChild(title);
        var list = document.createElement("ul");
        data.indices.forEach(function (text) {
          var item = document.createElement("li");
          item.textContent = text;
          list.appendChild(item);
        });
        box.appendChild(list);
      });
  }

  window.boussoleQuestions = function (yasgui, container) {
    var picker = container.querySelector("#question");
    var params = container.querySelector("#parametres");
    var about = container.querySelector("#question-aide");
    var status = container.querySelector("#question-etat");
    var hints = container.querySelector("#indices");
    var questions = {};

    function current() { return yasgui.getTab(); }

    function showParams() {
      var q = questions[picker.value];
      params.innerHTML = "";
      about.textContent = q ? q.question + " " + q.read : "";
      if (q) q.params.forEach(function (p) { params.appendChild(field(p)); });
    }

    fetch("/coherence?format=json").then(function (r) { return r.json(); }).then(function (list) {
      list.forEach(function (q) {
        questions[q.id] = q;
        var option = document.createElement("option");
        option.value = q.id;
        option.textContent = q.title_fr;
        picker.appendChild(option);
      });
      showParams();
      container.dataset.ready = "true";
    });

    picker.addEventListener("change", showParams);
    container.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var values = new URLSearchParams();
      params.querySelectorAll("input, select").forEach(function (el) { values.set(el.name, el.value); });
      status.textContent = "Chargement…";
      fetch("/coherence/" + encodeURIComponent(picker.value) + "/requete?" + values.toString())
        .then(function (r) { return r.text().then(function (text) { return { ok: r.ok, text: text }; }); })
        .then(function (answer) {
          if (!answer.ok) { status.textContent = answer.text; return; }
          status.textContent = "Requête chargée : « " + questions[picker.value].title_fr + " ».";
          var yasqe = current().getYasqe();
          yasqe.setValue(answer.text);
          yasqe.query();
        });
    });

    yasgui.on("queryResponse", function (instance, tab) {
      hints.innerHTML = "";
      // the tab hands the response to its result view just after this event: read it once that is done
      setTimeout(function () {
        var results = tab.getYasr().results;
        var bindings = results && results.getBindings ? results.getBindings() : null;
        if (bindings && bindings.length === 0) hint(hints, tab.getYasqe().getValue());
      }, 0);
    });

    translate(document.getElementById("yasgui"));
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        if (change.type === "characterData" && change.target.parentNode) translate(change.target.parentNode);
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) translate(node);
          else if (node.nodeType === 3 && node.parentNode) translate(node.parentNode);
        });
      });
    }).observe(document.getElementById("yasgui"), { childList: true, subtree: true, characterData: true });
  };
})();
