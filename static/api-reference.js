// Draws the API's OpenAPI document with Swagger UI (static/vendor/swagger-ui, from npm).
(function () {
  var box = document.getElementById("api-reference");
  if (!box || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({ url: box.dataset.document, domNode: box, deepLinking: true });
})();
