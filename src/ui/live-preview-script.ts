/**
 * Progressive enhancement for the campaign form: refreshes the preview (audience count, holdout
 * hint, banner and email) a moment after ops stop typing. Served as a file, not inline, so the
 * page needs no inline script.
 */
export const LIVE_PREVIEW_SCRIPT = `(() => {
  const form = document.querySelector('form[data-live-preview]');
  const slot = document.getElementById('preview-slot');
  if (!form || !slot) return;
  let timer;
  let latest = 0;
  const refresh = async () => {
    const ticket = ++latest;
    const body = new URLSearchParams(new FormData(form));
    body.set('action', 'preview');
    try {
      const response = await fetch(form.dataset.livePreview, {
        method: 'POST', body, credentials: 'same-origin',
      });
      if (response.ok && ticket === latest) slot.innerHTML = await response.text();
    } catch {}
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 500); };
  form.addEventListener('input', later);
  form.addEventListener('change', later);
})();
`;
