// Keyboard shortcuts of the review queue: j / k next / previous deliberation, a accept all, c correct.
(function () {
  "use strict";
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
