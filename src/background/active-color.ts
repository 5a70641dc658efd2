import type { AppConfig } from '../config/config';

export type Color = AppConfig['releaseColor'];
const COLORS: readonly Color[] = ['blue', 'green'];

/**
 * The active-colour file: one line, `blue` or `green` (surrounding whitespace and a trailing newline
 * are ignored). The chart mounts it from a ConfigMap; the nginx rollout platform writes it next to
 * its state. Writers replace it atomically (write a temporary file, rename it over): a reader then
 * sees the old or the new colour, never half a word. Anything else is not a colour.
 */
export function parseActiveColor(text: string): Color | undefined {
  const value = text.trim();
  return (COLORS as readonly string[]).includes(value) ? (value as Color) : undefined;
}

/** What the file says, for log lines: the colour, or why there is none. */
type ActiveColorReading = { color: Color } | { problem: string };

export function describeContent(text: string): ActiveColorReading {
  const color = parseActiveColor(text);
  if (color) return { color };
  const shown = text.trim().slice(0, 40);
  return { problem: `the file does not name a colour (expected "blue" or "green", found "${shown}")` };
}
