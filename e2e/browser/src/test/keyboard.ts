import type { Locator, Page } from 'playwright-core';

/** What has the focus, in words (for a failure message). */
export async function describeFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!active || active === document.body) return 'the page itself';
    const name =
      active.getAttribute('aria-label') ||
      (active as HTMLInputElement).labels?.[0]?.textContent ||
      active.textContent ||
      '';
    return `<${active.tagName.toLowerCase()}> "${name.trim().slice(0, 60)}"`;
  });
}

/**
 * Moves the focus to `target` with the keyboard alone: Tab while the target lies ahead of the
 * focused element in document order, Shift+Tab while it lies behind. Fails, saying where the focus
 * is, when `max` presses do not get there (the target is not in the tab order).
 */
export async function tabTo(page: Page, target: Locator, what: string, max = 150): Promise<void> {
  // Attached, not necessarily visible: a radio of a segmented control is drawn by its label.
  await target.waitFor({ state: 'attached' });
  const handle = await target.elementHandle();
  if (!handle) throw new Error(`${what} is not on the page`);
  for (let presses = 0; ; presses++) {
    const where = await page.evaluate((element) => {
      const active = document.activeElement;
      if (active === element) return 'here';
      if (!active || active === document.body || active === document.documentElement) return 'ahead';
      return active.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_FOLLOWING ? 'ahead' : 'behind';
    }, handle);
    if (where === 'here') return;
    if (presses >= max) {
      throw new Error(
        `${what} was not reached with Tab / Shift+Tab in ${max} presses (the focus is on ${await describeFocus(page)})`,
      );
    }
    await page.keyboard.press(where === 'ahead' ? 'Tab' : 'Shift+Tab');
  }
}

/**
 * Whether the focused element looks focused: its outline, shadow, border or background (or those of
 * its label or parent, for an input drawn by its label) differ from the same element unfocused.
 */
export async function focusIsVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    if (!active || active === document.body) return false;
    const parts = [
      active,
      ...Array.from((active as HTMLInputElement).labels ?? []),
      active.parentElement,
    ].filter((e): e is HTMLElement => !!e);
    // Without transitions, so the styles read are the ones each state ends in.
    const transitions = parts.map((element) => element.style.transition);
    for (const element of parts) element.style.transition = 'none';
    const look = () =>
      parts
        .map((element) => {
          const style = getComputedStyle(element);
          const outline =
            style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0 ? 'none' : style.outline;
          return [outline, style.boxShadow, style.borderColor, style.backgroundColor].join(' ');
        })
        .join(' | ');
    const focused = look();
    active.blur();
    const unfocused = look();
    active.focus();
    parts.forEach((element, i) => (element.style.transition = transitions[i]));
    return focused !== unfocused;
  });
}

/**
 * The page's horizontal overflow (null when there is none): the document is wider than the window,
 * with the widest elements that stick out to the right.
 */
export async function horizontalOverflow(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth <= width) return null;
    const wide = Array.from(document.querySelectorAll<HTMLElement>('body *'))
      .map((element) => ({ element, right: element.getBoundingClientRect().right }))
      .filter(({ right }) => right > width + 1)
      .slice(-4)
      .map(({ element, right }) => {
        const label = element.getAttribute('aria-label') ?? element.className.toString().split(' ')[0] ?? '';
        return `<${element.tagName.toLowerCase()}> ${label} (right edge ${Math.round(right)})`;
      });
    return `the page is ${scrollWidth} px wide in a ${width} px window: ${wide.join(', ')}`;
  });
}
