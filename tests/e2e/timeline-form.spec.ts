// The form side of issue 19 in real Chromium: the keyframe timeline (add, reorder by keyboard and mouse,
// remove, the 8-state limit), the second axis and the frame spacing, links that carry them, their
// validation messages in English and Korean, and axe with all of it open. Nothing here renders.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { openApp, openAdvanced } from './app-page';

/** The keyframes' values, in order. */
const keyframes = (page: Page) =>
  page.locator('[id^="waypoint-"][type="text"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));

const param = (page: Page, key: string) => new URL(page.url()).searchParams.getAll(key);

test('keyframes: added, typed, moved by keyboard and mouse, removed; at most 8 states', async ({ page }) => {
  await openApp(page);
  const add = page.getByRole('button', { name: 'Add a state between' });
  // A fresh form shows only the two states.
  await expect(page.getByTestId('keyframes')).toHaveCount(0);
  await expect(page.locator('#waypoint-0')).toHaveCount(0);

  // Mouse: the new field is focused, labelled after the two ends.
  await add.click();
  await expect(page.getByLabel('3rd state', { exact: true })).toBeFocused();
  await page.keyboard.type('sprout');
  // Keyboard: Enter on the add button.
  await add.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#waypoint-1')).toBeFocused();
  await expect(page.locator('#waypoint-1')).toHaveAccessibleName('4th state');
  await page.keyboard.type('tree');
  await expect(page.getByTestId('timeline')).toHaveText('The stream: super fresh → sprout → tree → rotten');

  // Tab from the 4th state's field reaches its "move up" button; Enter moves it, and focus follows it.
  await page.keyboard.press('Tab');
  await expect(page.locator('#waypoint-1-up')).toBeFocused();
  await expect(page.locator('#waypoint-1-up')).toHaveAccessibleName('Move the 4th state up');
  await page.keyboard.press('Enter');
  expect(await keyframes(page)).toEqual(['tree', 'sprout']);
  // It cannot go further up, so focus is on its "move down" button; the move is said.
  await expect(page.locator('#waypoint-0-up')).toBeDisabled();
  await expect(page.locator('#waypoint-0-down')).toBeFocused();
  await expect(page.getByTestId('keyframe-said')).toHaveText('“tree” is now the 3rd state.');
  await page.keyboard.press('Space');
  expect(await keyframes(page)).toEqual(['sprout', 'tree']);
  await expect(page.locator('#waypoint-1-up')).toBeFocused();

  // Mouse: move the 3rd down.
  await page.getByRole('button', { name: 'Move the 3rd state down' }).click();
  expect(await keyframes(page)).toEqual(['tree', 'sprout']);
  await expect(page.getByTestId('timeline')).toHaveText('The stream: super fresh → tree → sprout → rotten');
  // The address holds the keyframes, in order.
  await expect.poll(() => param(page, 'via')).toEqual(['tree', 'sprout']);

  // Remove by mouse: focus goes to the keyframe now in its place; by keyboard: back to the add button.
  await page.getByRole('button', { name: 'Remove the 3rd state' }).click();
  expect(await keyframes(page)).toEqual(['sprout']);
  await expect(page.locator('#waypoint-0')).toBeFocused();
  await expect(page.getByTestId('keyframe-said')).toHaveText('The 3rd state “tree” was removed.');
  await page.locator('#waypoint-0-remove').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('keyframes')).toHaveCount(0);
  await expect(add).toBeFocused();
  await expect.poll(() => param(page, 'via')).toEqual([]);

  // Six keyframes make 8 states: the add button turns off and says why.
  for (let i = 0; i < 6; i++) {
    await add.click();
    await page.keyboard.type(`stage ${i + 1}`);
  }
  await expect(add).toBeDisabled();
  await expect(page.getByTestId('add-state-full')).toHaveText('A timeline holds at most 8 states: remove one to add another.');
  await expect(add).toHaveAccessibleDescription('A timeline holds at most 8 states: remove one to add another.');
  await expect(page.locator('#waypoint-5')).toHaveAccessibleName('8th state');
  await page.getByRole('button', { name: 'Remove the 5th state' }).click();
  await expect(add).toBeEnabled();
  await expect(page.getByTestId('add-state-full')).toHaveCount(0);
  expect(await keyframes(page)).toEqual(['stage 1', 'stage 2', 'stage 4', 'stage 5', 'stage 6']);
});

test('the second axis and the spacing: their fields, the address, and even spacing refused beside a second axis', async ({ page }) => {
  await openApp(page);
  await openAdvanced(page);
  const on = page.getByLabel('Add a second axis: the frames become a grid');
  await expect(on).not.toBeChecked();
  await expect(page.locator('#axis2-state1')).toHaveCount(0);
  await expect(page.locator('#spacing-uniform')).toBeChecked();

  // Turned on: its fields, with their defaults; the grid's size follows the frames and the rows.
  await on.check();
  await expect(page.getByLabel('1st state of the second axis')).toHaveValue('day');
  await expect(page.getByLabel('2nd state of the second axis')).toHaveValue('night');
  await expect(page.locator('#axis2-strength')).toHaveValue('1.75');
  await expect(page.locator('#axis2-rows')).toHaveValue('3');
  await expect(page.getByTestId('axis2')).toContainText('7 × 3 = 21 frames');
  await page.locator('#axis2-state1').fill('summer');
  await page.locator('#axis2-state2').fill('winter');
  await page.locator('#axis2-strength').fill('1.2');
  await page.locator('#axis2-rows').fill('4');
  await page.getByLabel('Normalise the two scales').check();
  await expect(page.getByTestId('axis2')).toContainText('7 × 4 = 28 frames');
  await expect
    .poll(() => ['axis2from', 'axis2to', 'axis2strength', 'axis2rows', 'axis2norm'].map((k) => param(page, k)[0]))
    .toEqual(['summer', 'winter', '1.2', '4', '1']);

  // Even spacing beside a second axis: said on the spacing at once, before any Generate.
  await page.getByLabel('Even', { exact: true }).check();
  await expect(page.getByTestId('error-spacing')).toContainText('turn off the second axis');
  await expect(page.locator('#spacing')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#spacing')).toHaveAccessibleDescription(/turn off the second axis/);
  await expect(page.locator('#spacing-even')).toHaveAccessibleDescription(/coarse pass first.*2–3× the renders/);

  // A second-axis value out of range is marked when Generate is pressed; nothing runs.
  await page.locator('#axis2-rows').fill('12');
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('error-axis2-rows')).toContainText('between 2 and 9');
  await expect(page.locator('#axis2-rows')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('error-summary')).toContainText('2 fields');
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');

  // Turning the axis off clears both messages and takes it out of the address; its values wait for it.
  await on.uncheck();
  await expect(page.getByTestId('error-spacing')).toHaveCount(0);
  await expect(page.getByTestId('error-summary')).toHaveCount(0);
  await expect.poll(() => param(page, 'axis2from')).toEqual([]);
  expect(param(page, 'spacing')).toEqual(['even']);
  await on.check();
  await expect(page.locator('#axis2-state1')).toHaveValue('summer');
});

test('a link with a timeline, a second axis and even spacing restores the form; too many keyframes are cut with a note', async ({
  page,
}) => {
  const query =
    '?prompt=a%20tree&from=summer&via=autumn&via=winter&via=spring&to=summer&frames=9' +
    '&axis2from=day&axis2to=night&axis2strength=2.5&axis2rows=4&axis2norm=1&spacing=even';
  await openApp(page, query);
  await expect(page.locator('#state1')).toHaveValue('summer');
  await expect(page.locator('#state2')).toHaveValue('summer');
  expect(await keyframes(page)).toEqual(['autumn', 'winter', 'spring']);
  // The ends may be alike with keyframes between: no same-states notice.
  await expect(page.getByTestId('same-states')).toHaveCount(0);
  await openAdvanced(page);
  await expect(page.locator('#frames')).toHaveValue('9');
  await expect(page.locator('#axis2-on')).toBeChecked();
  await expect(page.locator('#axis2-state1')).toHaveValue('day');
  await expect(page.locator('#axis2-state2')).toHaveValue('night');
  await expect(page.locator('#axis2-strength')).toHaveValue('2.5');
  await expect(page.locator('#axis2-rows')).toHaveValue('4');
  await expect(page.locator('#axis2-normalize')).toBeChecked();
  await expect(page.locator('#spacing-even')).toBeChecked();
  // The link asked for both, which cannot run together: the form says so on the spacing.
  await expect(page.getByTestId('error-spacing')).toBeVisible();
  await expect(page.getByTestId('link-notice')).toHaveCount(0);
  await page.waitForTimeout(500);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');
  // The address the page writes back is the same settings.
  await expect.poll(() => param(page, 'via')).toEqual(['autumn', 'winter', 'spring']);
  expect(param(page, 'axis2norm')).toEqual(['1']);

  // Eight keyframes and unreadable values: the first six are kept, each dropped value is named.
  const many = Array.from({ length: 8 }, (_, i) => `via=s${i + 1}`).join('&');
  await openApp(page, `?${many}&frames=12&axis2rows=lots&spacing=fast`);
  expect(await keyframes(page)).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
  const notice = page.getByTestId('link-notice');
  await expect(notice).toContainText(
    'The link has 8 states between the 1st and the 2nd; a timeline holds 6 there at most, so the form keeps the first 6.',
  );
  await expect(notice).toContainText('The link’s rows of the second axis “lots” was ignored; using 3.');
  await expect(notice).toContainText('The link’s frame spacing “fast” was ignored; using Uniform.');
  await expect(page.getByRole('button', { name: 'Add a state between' })).toBeDisabled();
});

test('a wrong keyframe, frames too few for the timeline and a wrong second-axis state show their messages in English and Korean', async ({
  page,
}) => {
  await openApp(page);
  const add = page.getByRole('button', { name: 'Add a state between' });
  await add.click();
  await add.click();
  await add.click();
  // 3rd: empty; 4th: "mouldy"; 5th: the same again.
  await page.locator('#waypoint-1').fill('mouldy');
  await page.locator('#waypoint-2').fill(' Mouldy');
  await openAdvanced(page);
  await page.locator('#frames').fill('4');
  await page.locator('#axis2-on').check();
  await page.locator('#axis2-state2').fill('DAY');
  await page.getByTestId('generate').click();

  const expected: [string, string, RegExp][] = [
    ['waypoint-0', 'waypoint-0', /^The 3rd state is empty: write a few words\.$/],
    ['waypoint-2', 'waypoint-2', /^A state is the same as the one before it \(“mouldy” and “Mouldy”\)/],
    ['frames', 'frames', /A timeline of 5 states needs at least 5 frames/],
    ['axis2-state2', 'axis2-state2', /same as the 1st state on the second axis/],
  ];
  for (const [id, error, message] of expected) {
    await expect(page.getByTestId(`error-${error}`), id).toHaveText(message);
    await expect(page.locator(`#${id}`), id).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator(`#${id}`), id).toHaveAccessibleDescription(message);
  }
  await expect(page.getByTestId('error-waypoint-1')).toHaveCount(0);
  await expect(page.getByTestId('error-summary')).toContainText('4 fields');
  // The first marked field takes the focus.
  await expect(page.locator('#waypoint-0')).toBeFocused();
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'idle');

  await page.getByTestId('lang-ko').click();
  await expect(page.locator('#waypoint-0')).toHaveAccessibleName('세 번째 상태');
  await expect(page.getByTestId('error-waypoint-0')).toHaveText('세 번째 상태에 몇 단어를 입력하세요 (최대 2000자).');
  await expect(page.getByTestId('error-waypoint-2')).toContainText('바로 앞의 상태와 같습니다');
  await expect(page.getByTestId('error-frames')).toContainText('타임라인의 상태 수');
  await expect(page.getByTestId('error-axis2-state2')).toContainText('두 번째 축의 두 상태가 같습니다');
  await expect(page.getByRole('button', { name: '사이에 상태 추가' })).toBeVisible();

  // Messages follow the edits.
  await page.locator('#waypoint-0').fill('fuzzy');
  await page.locator('#waypoint-2').fill('black');
  await expect(page.getByTestId('error-waypoint-0')).toHaveCount(0);
  await expect(page.getByTestId('error-waypoint-2')).toHaveCount(0);
  await page.getByTestId('lang-en').click();
});

test('with keyframes, the second axis and the spacing open, and with their messages, axe finds nothing', async ({ page }) => {
  const check = async (state: string) => {
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const found = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(found, `axe violations: ${state}`).toEqual([]);
  };
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await openApp(page, '?via=sprout&via=tree&axis2from=day&axis2to=night&axis2rows=3');
    await openAdvanced(page);
    await check(`timeline and second axis at ${width} px`);
  }
  // With every new field's message showing.
  await page.locator('#waypoint-0').fill('');
  await page.locator('#axis2-state1').fill('');
  await page.getByLabel('Even', { exact: true }).check();
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('error-waypoint-0')).toBeVisible();
  await expect(page.getByTestId('error-spacing')).toBeVisible();
  await check('messages');
  await page.getByTestId('lang-ko').click();
  await check('Korean');
  await page.getByTestId('lang-en').click();
});
