/**
 * The storefront in a real browser (headless Chromium through playwright-core) against the
 * real stack: the three services (test-platform.ts), the gateway in its production posture
 * (PERSISTED_QUERIES=safelist), the production build served by the image's nginx config. A
 * shopper's day: sign up, browse, two products in the cart, checkout (a lost answer retried,
 * a double click: one order each time), the order on screen, shipped by an admin through the
 * API and shown without a reload, a large order moving the tier badge, signing out and in with
 * nothing secret left where a script could read it, a phone-width cart, an access token refused
 * mid-checkout (refreshed, one order) and a session over mid-checkout (sign in again, cart kept).
 * A screenshot of each step is saved (the folder is printed; git-ignored).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import type { PersistedQueryManifest } from '../../gateway/src/edge/persisted-queries';
import { MANIFEST_PATH } from '../../scripts/generate-persisted-queries';
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../support/test-platform';
import { CHROMIUM, missingBrowserTools, startProductionWeb, type ProductionWeb } from './support/production-web';

const ARTIFACTS = path.resolve(__dirname, 'artifacts');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Longer than the app's polling (2 s orders, 3 s loyalty) with room for a busy machine. */
const LIVE_UPDATE_MS = 20_000;
const EMAIL = `browser-${Date.now()}@example.com`;
const PASSWORD = 'correct-horse-battery';

const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as PersistedQueryManifest;

const missing = missingBrowserTools();
if (missing) console.warn(`browser tests skipped: ${missing}`);
const describeInBrowser = missing ? describe.skip : describe;

describeInBrowser('the storefront in Chromium, against the real stack in its production posture', () => {
  let platform: TestPlatform;
  let web: ProductionWeb;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let orders: pg.Pool;
  let userId: string;
  const graphqlBodies: unknown[] = [];
  /** The page's console errors and uncaught exceptions, shown when a step fails. */
  const pageProblems: string[] = [];
  let step = 0;

  async function screenshot(name: string): Promise<void> {
    step += 1;
    await page.screenshot({ path: path.join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  /** A listed operation sent by id, as any client of a safelisted gateway does. */
  async function persisted(name: string, variables: Record<string, unknown>, token?: string): Promise<{ data: any; errors?: unknown[] }> {
    const operation = manifest.operations.find((candidate) => candidate.name === name)!;
    const response = await fetch(`${platform.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } } }),
    });
    const body = (await response.json()) as { data: any; errors?: unknown[] };
    if (body.errors) throw new Error(`${name}: ${JSON.stringify(body.errors)}`);
    return body;
  }

  const orderCount = async () =>
    Number((await orders.query<{ count: string }>('SELECT count(*) FROM orders WHERE user_id = $1', [userId])).rows[0]!.count);

  /** What a script on the page can read: both storages and the cookies not marked HttpOnly. */
  const readableByScripts = () =>
    page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie }));

  beforeAll(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    console.log(`storefront screenshots: ${ARTIFACTS}`);
    platform = await startTestPlatform({ gatewayEnv: { PERSISTED_QUERIES: 'safelist' } });
    web = await startProductionWeb(platform.gateway.port);
    orders = new pg.Pool({ connectionString: platform.ordersDatabase.url, max: 2 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.on('console', (message) => message.type() === 'error' && pageProblems.push(`console: ${message.text()}`));
    page.on('pageerror', (error) => pageProblems.push(`uncaught: ${error.message}`));
    page.on('request', (request: Request) => {
      if (request.url().endsWith('/graphql') && request.method() === 'POST') graphqlBodies.push(request.postDataJSON());
    });
  }, 120_000);

  afterEach(() => {
    if (pageProblems.length > 0)
      console.warn(`the page reported:\n${pageProblems.splice(0).join('\n')}\nnginx:\n${web.output().slice(-2000)}`);
  });

  afterAll(async () => {
    await browser?.close();
    await orders?.end();
    await web?.stop();
    await platform?.stop();
  });

  test('when a visitor opens the shop and signs up, then the catalog shows and they are signed in', async () => {
    await page.goto(web.url);
    await page.getByRole('heading', { name: 'Catalog' }).waitFor();
    await page.locator('.product').first().waitFor();
    await screenshot('catalog');

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await screenshot('sign-up');
    await page.getByRole('button', { name: 'Create an account' }).click();

    await page.getByRole('link', { name: /Ada Lovelace/ }).waitFor();
    const users = new pg.Client({ connectionString: platform.usersDatabase.url });
    await users.connect();
    userId = (await users.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [EMAIL])).rows[0]!.id;
    await users.end();
    expect(await page.getByTestId('tier-badge').getAttribute('data-tier')).toBe('STANDARD');
  });

  test('when the shopper browses to the second page and adds two products, then the cart holds both', async () => {
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    await page.locator('.product', { hasText: 'USB microphone' }).getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1').waitFor();
    await page.locator('.product', { hasText: 'Laptop stand' }).getByRole('button', { name: 'Add to cart' }).click();
    await screenshot('two-products-added');

    expect(await page.getByTestId('cart-count').textContent()).toBe('2');
  });

  test('when the checkout’s answer is lost on the way and the shopper tries again, then one order exists, with the same key', async () => {
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('heading', { name: 'Cart' }).waitFor();
    await screenshot('cart');
    // The order reaches the server; its answer never reaches the page (a dropped connection).
    let lostKey: string | undefined;
    await page.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { operationName?: string; variables?: { input?: { idempotencyKey?: string } } };
      if (body.operationName !== 'PlaceOrder' || lostKey) return route.continue();
      lostKey = body.variables?.input?.idempotencyKey;
      await route.fetch();
      await route.abort('connectionreset');
    });

    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByRole('alert').filter({ hasText: 'cannot be reached' }).waitFor();
    await screenshot('checkout-answer-lost');
    expect(await orderCount()).toBe(1);
    const kept = JSON.parse((await page.evaluate(() => localStorage.getItem('fedshop.cart.v1')))!) as {
      checkout: { idempotencyKey: string };
    };
    expect(kept.checkout.idempotencyKey).toBe(lostKey);

    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'My orders' }).waitFor();
    await page.unroute('**/graphql');

    expect(await orderCount()).toBe(1);
    expect(await page.getByTestId('cart-count').textContent()).toBe('0');
  });

  test('when the order is confirmed, then it appears in my orders with its two lines', async () => {
    const card = page.locator('.order').first();
    await card.getByText('Confirmed').waitFor();
    await screenshot('order-confirmed');

    const lines = await card.getByRole('listitem').allTextContents();
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringContaining('1 × USB microphone'), expect.stringContaining('1 × Laptop stand')]),
    );
  });

  test('when an admin ships the order through the API, then its status changes on screen without a reload', async () => {
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    // The gateway is in safelist mode: the admin, too, sends listed operations by id.
    const admin = await persisted('SignIn', { input: TEST_ADMIN });
    const orderId = (await orders.query<{ id: string }>('SELECT id FROM orders WHERE user_id = $1', [userId])).rows[0]!.id;

    const shipped = await persisted('ShipOrder', { id: orderId }, admin.data.signIn.token);
    expect(shipped.data).toEqual({ shipOrder: { id: orderId, status: 'SHIPPED', __typename: 'Order' } });

    await page
      .locator(`[data-order-id="${orderId}"]`)
      .getByTestId('order-status')
      .filter({ hasText: 'Shipped' })
      .waitFor({ timeout: LIVE_UPDATE_MS });
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await screenshot('order-shipped-live');
  });

  test('when the shopper places a large order with the keyboard only, double-pressing, then one order is placed and the tier badge moves', async () => {
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.locator('.product', { hasText: 'Standing desk' }).getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: 'Standing desk' }).click();
    await page.getByRole('heading', { name: 'Standing desk' }).waitFor();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('heading', { name: 'Cart' }).waitFor();
    // 2 × 599.00 = 1198.00: past SILVER's 1000.00.
    expect(await page.getByLabel('Quantity of Standing desk').inputValue()).toBe('2');
    const before = await orderCount();

    // Keyboard only: Tab from the page's top to the checkout button, then Enter twice at once.
    await page.locator('body').focus();
    let focused = '';
    for (let presses = 0; presses < 30 && focused !== 'Place order'; presses += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText ?? '');
    }
    expect(focused).toBe('Place order');
    await screenshot('keyboard-focus-on-checkout');
    await Promise.all([page.keyboard.press('Enter'), page.keyboard.press('Enter')]);
    await page.getByRole('heading', { name: 'My orders' }).waitFor();

    expect(await orderCount()).toBe(before + 1);
    await page.getByTestId('tier-badge').and(page.locator('[data-tier="SILVER"]')).waitFor({ timeout: LIVE_UPDATE_MS });
    await screenshot('tier-silver');
  });

  test('when the shopper opens their profile, then tier and lifetime spend show', async () => {
    await page.getByRole('link', { name: /Ada Lovelace/ }).click();
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    await page.getByTestId('lifetime-spend').filter({ hasText: '1,336.00' }).waitFor({ timeout: LIVE_UPDATE_MS });
    await screenshot('profile');
  });

  test('when the shopper signs out and back in, then nothing secret was ever readable by scripts, and the cart survived', async () => {
    // Signed in: the refresh token is an HttpOnly, SameSite=Strict cookie for /graphql; no token is readable.
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'fedshop_refresh', httpOnly: true, sameSite: 'Strict', path: '/graphql' });
    const signedIn = await readableByScripts();
    expect(signedIn).not.toContain(cookie!.value);
    expect(signedIn).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    // Something in the cart, to see it kept.
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.locator('.product', { hasText: 'Laptop backpack' }).getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: /Ada Lovelace/ }).click();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await context.cookies()).toEqual([]);
    expect(await page.getByTestId('cart-count').textContent()).toBe('1');
    await screenshot('signed-out');

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: /Ada Lovelace/ }).waitFor();
    // A reload: the access token (memory only) is gone; the cookie brings the session back.
    await page.reload();
    await page.getByRole('link', { name: /Ada Lovelace/ }).waitFor();
    await screenshot('signed-in-again-after-reload');

    const again = await readableByScripts();
    expect(again).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    expect(again).not.toContain((await context.cookies())[0]!.value);
    expect(await page.getByTestId('cart-count').textContent()).toBe('1');
    expect(JSON.parse(again).local).toEqual({ 'fedshop.cart.v1': expect.any(String) });
  });

  test('when the shop is used at phone width, then nothing overflows sideways and the cart is still usable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('heading', { name: 'Cart' }).waitFor();
    await screenshot('phone-cart');

    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await page.getByRole('button', { name: 'Place order' }).isVisible()).toBe(true);
  });

  test('when the access token is refused mid-checkout, then the app refreshes the session and the order goes through once', async () => {
    const before = await orderCount();
    let refused = 0;
    // The gateway sees an access token it cannot verify (as an expired one): 401 UNAUTHENTICATED.
    await page.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { operationName?: string };
      if (body.operationName !== 'PlaceOrder' || refused > 0) return route.continue();
      refused += 1;
      await route.continue({ headers: { ...route.request().headers(), authorization: 'Bearer expired.access.token' } });
    });

    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByRole('heading', { name: 'My orders' }).waitFor();
    await page.unroute('**/graphql');

    expect(refused).toBe(1);
    expect(await orderCount()).toBe(before + 1);
  });

  test('when the session is over mid-checkout, then the shopper is sent to sign in, the cart kept, and checks out after', async () => {
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.locator('.product', { hasText: 'USB-C cable' }).getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('heading', { name: 'Cart' }).waitFor();
    const before = await orderCount();
    // The session ends elsewhere (the cookie is gone) and the access token is refused.
    await context.clearCookies();
    await page.route('**/graphql', (route) => {
      const body = route.request().postDataJSON() as { operationName?: string };
      const headers =
        body.operationName === 'PlaceOrder' ? { ...route.request().headers(), authorization: 'Bearer expired.access.token' } : undefined;
      return route.continue(headers ? { headers } : undefined);
    });

    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByRole('alert').filter({ hasText: 'Your session has ended' }).waitFor();
    await page.unroute('**/graphql');
    await screenshot('session-ended-cart-kept');
    expect(await orderCount()).toBe(before);
    expect(await page.getByTestId('cart-count').textContent()).toBe('1');

    await page.getByRole('link', { name: 'Sign in again' }).click();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Cart' }).waitFor();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByRole('heading', { name: 'My orders' }).waitFor();

    expect(await orderCount()).toBe(before + 1);
  });

  test('when an admin uses the back office, then an order is shipped and a product edited from the page', async () => {
    const adminContext = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const admin = await adminContext.newPage();
    try {
      await admin.goto(`${web.url}/sign-in?next=/admin`);
      await admin.getByLabel('Email').fill(TEST_ADMIN.email);
      await admin.getByLabel('Password').fill(TEST_ADMIN.password);
      await admin.getByRole('button', { name: 'Sign in' }).click();
      await admin.getByRole('heading', { name: 'Back office' }).waitFor();
      const open = (
        await orders.query<{ id: string }>("SELECT id FROM orders WHERE user_id = $1 AND status = 'CONFIRMED' ORDER BY created_at", [
          userId,
        ])
      ).rows;
      expect(open.length).toBeGreaterThan(0);
      const first = open[0]!.id;
      await admin.getByRole('button', { name: `Ship order ${first.slice(-8)}` }).waitFor();
      await admin.screenshot({ path: path.join(ARTIFACTS, `${String(++step).padStart(2, '0')}-back-office.png`), fullPage: true });

      await admin.getByRole('button', { name: `Ship order ${first.slice(-8)}` }).click();
      await admin.getByRole('button', { name: `Ship order ${first.slice(-8)}` }).waitFor({ state: 'detached' });
      expect((await orders.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [first])).rows[0]!.status).toBe('SHIPPED');

      await admin.getByRole('button', { name: 'Edit USB-C cable, 1 m' }).click();
      await admin.getByLabel('Stock').fill('777');
      await admin.getByRole('button', { name: 'Save product' }).click();
      await admin
        .getByRole('row', { name: /CB-001/ })
        .getByText('777')
        .waitFor();
      expect((await orders.query<{ stock: number }>("SELECT stock FROM products WHERE sku = 'CB-001'")).rows[0]!.stock).toBe(777);
    } finally {
      await adminContext.close();
    }
  });

  test('when every request the app sent is read, then each carried only a persisted-query id, never an operation text', () => {
    expect(graphqlBodies.length).toBeGreaterThan(10);
    for (const body of graphqlBodies as Array<{ query?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } }>) {
      expect(body.query).toBeUndefined();
      expect(body.extensions?.persistedQuery?.sha256Hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
