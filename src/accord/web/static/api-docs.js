// Starts Swagger UI (served from /static/swagger-ui, never a CDN) on the OpenAPI document named
// by the page. validatorUrl: null keeps Swagger UI from sending the document to its online
// validator.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
