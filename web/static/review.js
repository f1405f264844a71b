// Keyboard shortcuts of the review queue: j / k next / previous deliberation, a accept (the page then offers to
// undo), u undo the last decision, c correct. The correction form offers only consistent choices: « ne sert aucun
// engagement » unticks the others and the others untick it; a champ ticks its engagement.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("details.corriger input[type=checkbox]") || !box.checked) return;
    var fieldset = box.closest("fieldset");
    if (box.classList.contains("choix-aucun")) {
      fieldset.querySelectorAll("input[type=checkbox]:not(.choix-aucun)").forEach(function (b) { b.checked = false; });
    } else {
      var aucun = fieldset.querySelector(".choix-aucun");
      if (aucun) aucun.checked = false;
      var group = box.closest("div.choix-engagement");
      var engagement = group && group.querySelector("input[type=checkbox]");
      if (engagement && engagement !== box) engagement.checked = true;
    }
  });
  var undo = document.getElementById("annuler-derniere");
  if (undo) {
    undo.focus();
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.key !== "u" || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
      e.preventDefault();
      undo.form.submit();
    });
  }
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.carte"));
  if (!cards.length) return;
  var current = -1;
  function select(i) {
    if (i < 0 || i >= cards.length) return;
    if (current >= 0) cards[current].classList.remove("active");
    current = i;
    cards[i].classList.add("active");
    cards[i].focus();
    cards[i].scrollIntoView({ block: "nearest" });
  }
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  document.addEventListener("focusin", function (e) {
    var card = e.target.closest && e.target.closest("article.carte");
    if (card) {
      var i = cards.indexOf(card);
      if (i !== current) { if (current >= 0) cards[current].classList.remove("active"); current = i; card.classList.add("active"); }
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    var card = cards[current];
    if (e.key === "j") { e.preventDefault(); select(current + 1 < cards.length ? current + 1 : current < 0 ? 0 : current); }
    else if (e.key === "k") { e.preventDefault(); select(current > 0 ? current - 1 : 0); }
    else if (e.key === "a" && card) {
      var form = card.querySelector("form.tout-accepter");
      if (form) { e.preventDefault(); form.submit(); }
    } else if (e.key === "c" && card) {
      var det = card.querySelector("details.corriger");
      if (det) {
        e.preventDefault();
        det.open = true;
        var first = det.querySelector("input[type=checkbox]");
        if (first) first.focus();
      }
    }
  });
})();
