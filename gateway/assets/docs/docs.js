// Starts the vendored swagger-ui on the gateway's OpenAPI document. A file rather than an
// inline script: the Content-Security-Policy allows no inline script.
window.addEventListener('DOMContentLoaded', () => {
  window.ui = window.SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
