export const PENDING_FORMS_PATH = '/console/assets/pending-forms.js';

/**
 * Progressive enhancement for forms whose work takes a while (an upload): once sent, the
 * submit button is disabled and says what is happening, so a second click sends nothing.
 * A page brought back from the back-forward cache gets its button back. Served as a file,
 * not inline, so the page needs no inline script.
 */
export const PENDING_FORMS_SCRIPT = `(() => {
  const buttons = (form) => form.querySelectorAll('button[type="submit"], button:not([type])');
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.pending) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = 'true';
    form.setAttribute('aria-busy', 'true');
    for (const button of buttons(form)) {
      button.dataset.label = button.textContent;
      button.textContent = form.dataset.pending;
      button.disabled = true;
    }
  });
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    for (const form of document.querySelectorAll('form[data-sent]')) {
      delete form.dataset.sent;
      form.removeAttribute('aria-busy');
      for (const button of buttons(form)) {
        button.textContent = button.dataset.label || button.textContent;
        button.disabled = false;
      }
    }
  });
})();
`;
