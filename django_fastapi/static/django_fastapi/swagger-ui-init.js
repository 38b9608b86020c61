// Starts Swagger UI from the data attributes of #swagger-ui, so that the docs page needs no inline
// script and works under a Content-Security-Policy of "default-src 'self'".
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  var data = element.dataset;
  var parameters = JSON.parse(data.parameters);
  parameters.url = data.openapiUrl;
  parameters.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  if (data.oauth2RedirectUrl) {
    parameters.oauth2RedirectUrl = window.location.origin + data.oauth2RedirectUrl;
  }
  var ui = SwaggerUIBundle(parameters);
  if (data.initOauth) {
    ui.initOAuth(JSON.parse(data.initOauth));
  }
  window.ui = ui;
})();
