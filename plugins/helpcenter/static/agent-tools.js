// The help center's tools beside an agent's reply box (helpcenter/_agent_tools.html): "Insert link" puts
// the article's Markdown link where the cursor was in the reply. A file of its own, as the
// Content-Security-Policy allows no inline script; without JavaScript the link text is shown to copy.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-helpcenter-link]") : null;
  if (!button) {
    return;
  }
  var tools = button.closest("[data-reply-field]");
  var reply = tools ? document.getElementById(tools.getAttribute("data-reply-field")) : null;
  if (!reply) {
    return;
  }
  var link = button.getAttribute("data-helpcenter-link");
  var start = reply.selectionStart;
  var end = reply.selectionEnd;
  var before = reply.value.slice(0, start);
  // A link typed straight after a word would run into it; a space keeps the two apart.
  var text = before && !/\s$/.test(before) ? " " + link : link;
  reply.setRangeText(text, start, end, "end");
  reply.dispatchEvent(new Event("input", { bubbles: true }));
  reply.focus();
  var status = tools.querySelector("[data-helpcenter-link-status]");
  if (status) {
    status.textContent = tools.getAttribute("data-inserted-message");
  }
});
