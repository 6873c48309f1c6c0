/**
 * The browser page for a device login (`GET /v0/oauth/copilot`, `/v0/oauth/kiro`): asks for
 * the management key when one is set (kept in sessionStorage for this tab only, never in a
 * URL), lets Kiro users choose Builder ID or Identity Center (start URL and region), shows
 * the user code with a link to the verification page, polls, and turns to success or to a
 * readable failure. Self-contained: no external scripts, styles or fonts.
 */
import type { OAuthProvider } from '../../providers/oauth-credentials.ts';

const TITLES: Record<OAuthProvider, string> = { copilot: 'GitHub Copilot', kiro: 'Kiro (AWS)' };

export function loginPage(provider: OAuthProvider, keyRequired: boolean): string {
  const title = TITLES[provider];
  const kiroChoice = provider === 'kiro'
    ? `<fieldset id="method">
        <legend>Sign in with</legend>
        <label><input type="radio" name="method" value="builder-id" checked> AWS Builder ID</label>
        <label><input type="radio" name="method" value="idc"> IAM Identity Center</label>
        <div id="idc" hidden>
          <label>Start URL <input id="start-url" type="url" placeholder="https://my-org.awsapps.com/start" autocomplete="off"></label>
          <label>Region <input id="region" type="text" value="us-east-1" autocomplete="off"></label>
        </div>
      </fieldset>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cliproxy — sign in to ${title}</title>
<style>
  :root { font-family: system-ui, sans-serif; color-scheme: light dark; }
  body { max-width: 34rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
  h1 { font-size: 1.4rem; }
  fieldset { border: 1px solid #8885; border-radius: .5rem; margin: 1rem 0; }
  label { display: block; margin: .4rem 0; }
  input[type=url], input[type=text], input[type=password] { width: 100%; padding: .4rem; box-sizing: border-box; }
  button { padding: .5rem 1.2rem; font-size: 1rem; cursor: pointer; }
  #code { font: 700 2rem/1.2 ui-monospace, monospace; letter-spacing: .15em; margin: .5rem 0; }
  .ok { color: #1a7f37; } .fail { color: #cf222e; } .muted { opacity: .75; }
</style>
</head>
<body>
<main>
  <h1>Sign in to ${title}</h1>
  <form id="start">
    ${keyRequired ? '<label>Management key <input id="key" type="password" autocomplete="off" required></label>' : ''}
    ${kiroChoice}
    <button type="submit">Start</button>
  </form>
  <section id="pending" hidden aria-live="polite">
    <p>Open <a id="link" target="_blank" rel="noopener noreferrer"></a> and enter this code:</p>
    <p id="code" data-testid="user-code"></p>
    <p class="muted">Waiting for you to authorize… <span id="expires"></span></p>
  </section>
  <p id="result" role="status" aria-live="polite"></p>
</main>
<script>
(() => {
  const provider = ${JSON.stringify(provider)};
  const base = '/v0/management/oauth/' + provider;
  const $ = (id) => document.getElementById(id);
  const keyInput = $('key');
  if (keyInput) keyInput.value = sessionStorage.getItem('cliproxy-management-key') || '';
  const headers = () => {
    const h = { 'content-type': 'application/json' };
    if (keyInput) h['x-management-key'] = keyInput.value;
    return h;
  };
  const show = (text, kind) => { const r = $('result'); r.textContent = text; r.className = kind || ''; };
  for (const radio of document.querySelectorAll('input[name=method]')) {
    radio.addEventListener('change', () => { $('idc').hidden = radio.value !== 'idc' || !radio.checked; });
  }
  const errorText = async (response) => {
    try { const body = await response.json(); return (body.error && body.error.message) || response.statusText; }
    catch { return response.statusText || 'the gateway did not answer'; }
  };
  async function poll(loginId, interval) {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, interval) * 1000));
      let response;
      try { response = await fetch(base + '/status?login_id=' + encodeURIComponent(loginId), { headers: headers() }); }
      catch { show('The gateway cannot be reached; still trying…', 'fail'); continue; }
      if (!response.ok) { $('pending').hidden = true; show('Failed: ' + await errorText(response), 'fail'); return; }
      const status = await response.json();
      if (status.status === 'success') { $('pending').hidden = true; show('Signed in as ' + status.label + '. Saved as credential ' + status.credential_id + '.', 'ok'); return; }
      if (status.status === 'failed') { $('pending').hidden = true; show('Failed: ' + status.reason, 'fail'); return; }
    }
  }
  $('start').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (keyInput) sessionStorage.setItem('cliproxy-management-key', keyInput.value);
    const body = {};
    if (provider === 'kiro') {
      body.method = document.querySelector('input[name=method]:checked').value;
      if (body.method === 'idc') { body.start_url = $('start-url').value; body.region = $('region').value; }
    }
    show('Starting…');
    let response;
    try { response = await fetch(base + '/start', { method: 'POST', headers: headers(), body: JSON.stringify(body) }); }
    catch { show('The gateway cannot be reached.', 'fail'); return; }
    if (!response.ok) { show(response.status === 401 || response.status === 403 ? 'Wrong management key.' : 'Failed: ' + await errorText(response), 'fail'); return; }
    const ticket = await response.json();
    const link = $('link');
    link.href = ticket.verification_uri_complete || ticket.verification_uri;
    link.textContent = ticket.verification_uri;
    $('code').textContent = ticket.user_code;
    $('expires').textContent = '(the code expires at ' + new Date(ticket.expires_at).toLocaleTimeString() + ')';
    $('start').hidden = true;
    $('pending').hidden = false;
    show('');
    poll(ticket.login_id, ticket.interval);
  });
})();
</script>
</body>
</html>
`;
}
