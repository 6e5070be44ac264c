// The form's values: defaults, examples, the loaded model's size limits, validation and the shareable URL.
import { LIMITS, type SecondAxis, type SizeLimits, type Spacing } from '../shared/request';
import type { BundleManifest } from '../shared/manifest';
import {
  DEFAULT_AXIS2,
  DEFAULT_SETTINGS,
  MAX_WAYPOINTS,
  checkAll,
  queryToSettings,
  settingsToQuery,
  sizeOptions,
  type Checked,
  type FieldErrors,
  type FormSettings,
  type LinkNote,
  type LinkValueField,
} from './form-settings';
import type { Example } from './examples';

export class Settings {
  prompt = $state(DEFAULT_SETTINGS.prompt);
  state1 = $state(DEFAULT_SETTINGS.state1);
  state2 = $state(DEFAULT_SETTINGS.state2);
  strength = $state(DEFAULT_SETTINGS.strength);
  frames = $state(DEFAULT_SETTINGS.frames);
  iterations = $state(DEFAULT_SETTINGS.iterations);
  steps = $state(DEFAULT_SETTINGS.steps);
  guidanceScale = $state(DEFAULT_SETTINGS.guidanceScale);
  seed = $state(DEFAULT_SETTINGS.seed);
  randomizeSeed = $state(DEFAULT_SETTINGS.randomizeSeed);
  width = $state(DEFAULT_SETTINGS.width);
  height = $state(DEFAULT_SETTINGS.height);
  maxSequenceLength = $state<256 | 512>(DEFAULT_SETTINGS.maxSequenceLength);
  fps = $state(DEFAULT_SETTINGS.fps);
  loop = $state(DEFAULT_SETTINGS.loop);
  holdLastMs = $state(DEFAULT_SETTINGS.holdLastMs);
  /** The keyframes between the 1st and the 2nd state, in order. */
  waypoints = $state<string[]>([]);
  /** Whether the second axis is on; its fields keep their values while it is off. */
  axis2On = $state(false);
  axis2 = $state<SecondAxis>({ ...DEFAULT_AXIS2 });
  spacing = $state<Spacing>('uniform');

  /** Pixel sizes the loaded model accepts, and its default side. */
  sizeLimits = $state.raw<SizeLimits>({ min: LIMITS.size.min, max: LIMITS.size.max });
  sizeDefault = $state(DEFAULT_SETTINGS.width);

  /** True once the person pressed Generate: from then on, field messages follow their edits. */
  attempted = $state(false);

  /** A model bundle URL that came with a shared link (filled in, never fetched by itself). */
  linkedModel = $state<string | undefined>(undefined);
  /** Values of the shared link that the form did not take as they were, named on the page. */
  linkNotes = $state.raw<LinkNote[]>([]);

  /** The sizes a link chose, kept when the model takes them. */
  #linkedSizes: ('width' | 'height')[] = [];

  readonly values: FormSettings = $derived({
    prompt: this.prompt,
    state1: this.state1,
    state2: this.state2,
    strength: this.strength,
    frames: this.frames,
    iterations: this.iterations,
    steps: this.steps,
    guidanceScale: this.guidanceScale,
    seed: this.seed,
    randomizeSeed: this.randomizeSeed,
    width: this.width,
    height: this.height,
    maxSequenceLength: this.maxSequenceLength,
    fps: this.fps,
    loop: this.loop,
    holdLastMs: this.holdLastMs,
    // Only what is used, so a plain two-state form is the request (and the link) it always was.
    ...(this.waypoints.length > 0 ? { waypoints: [...this.waypoints] } : {}),
    ...(this.axis2On ? { axis2: { ...this.axis2 } } : {}),
    ...(this.spacing === 'even' ? { spacing: this.spacing } : {}),
  });

  readonly checked: Checked = $derived(checkAll(this.values, this.sizeLimits, this.sizeDefault));

  /** Messages to show under fields (only after a first attempt, so a fresh form is not all red). */
  readonly errors: FieldErrors = $derived(this.attempted && !this.checked.ok ? this.checked.errors : {});

  readonly widthOptions: number[] = $derived(sizeOptions(this.sizeLimits, this.sizeDefault, this.width));
  readonly heightOptions: number[] = $derived(sizeOptions(this.sizeLimits, this.sizeDefault, this.height));

  readonly unstable: boolean = $derived(this.strength > LIMITS.strength.unstableAbove);

  /** Whether the timeline has room for one more keyframe. */
  readonly canAddWaypoint: boolean = $derived(this.waypoints.length < MAX_WAYPOINTS);

  /** Every state of the timeline, in order. */
  readonly timeline: string[] = $derived([this.state1, ...this.waypoints, this.state2]);

  set(patch: Partial<FormSettings>): void {
    for (const [key, value] of Object.entries(patch) as [keyof FormSettings, never][]) {
      if (value === undefined) continue;
      if (key === 'waypoints') this.waypoints = [...(value as string[])];
      else if (key === 'axis2') {
        this.axis2 = { ...(value as SecondAxis) };
        this.axis2On = true;
      } else this[key] = value;
    }
  }

  /** An example is a whole timeline: its keyframes replace the form's (none when it has none). */
  fill(example: Example): void {
    this.set(example);
    this.waypoints = [...(example.waypoints ?? [])];
  }

  /** Adds an empty keyframe just before the 2nd state; returns its index (-1 when the timeline is full). */
  addWaypoint(): number {
    if (!this.canAddWaypoint) return -1;
    this.waypoints.push('');
    return this.waypoints.length - 1;
  }

  removeWaypoint(index: number): void {
    this.waypoints.splice(index, 1);
  }

  /** Moves a keyframe one place up (-1) or down (+1) among the keyframes; returns its new index. */
  moveWaypoint(index: number, by: -1 | 1): number {
    const to = index + by;
    if (to < 0 || to >= this.waypoints.length) return index;
    const moved = [...this.waypoints];
    [moved[index], moved[to]] = [moved[to]!, moved[index]!];
    this.waypoints = moved;
    return to;
  }

  /** The query string that reproduces this form. */
  query(model?: string): string {
    return settingsToQuery(this.values, model);
  }

  /** Fills the form from a shared link's query string; nothing runs or downloads. */
  restore(search: string): void {
    const { settings, model, notes } = queryToSettings(search);
    this.set(settings);
    this.#linkedSizes = (['width', 'height'] as const).filter((field) => settings[field] !== undefined);
    this.linkedModel = model;
    // What the form uses instead of a dropped value; a seed that is not read stays random.
    this.linkNotes = notes.map((note) =>
      note.kind === 'ignored' && note.field !== 'seed' ? { ...note, using: this.#current(note.field) } : note,
    );
  }

  /** What the form holds for a field a link may name. */
  #current(field: LinkValueField): string | number | boolean {
    if (field === 'spacing') return this.spacing;
    if (field.startsWith('axis2.')) return this.axis2[field.slice('axis2.'.length) as 'strength' | 'frames' | 'normalize'];
    return this.values[field as Exclude<LinkValueField, `axis2.${string}` | 'spacing'>];
  }

  /** Follows a newly loaded model: its size limits, and its default size unless a link chose one that fits. */
  applyModel(manifest: BundleManifest): void {
    const limits = manifest.limits
      ? { min: manifest.limits.min_size, max: manifest.limits.max_size }
      : { min: LIMITS.size.min, max: LIMITS.size.max };
    this.sizeLimits = limits;
    this.sizeDefault = manifest.defaults.width;
    const fits = (n: number) => Number.isFinite(n) && n >= limits.min && n <= limits.max;
    const notes = [...this.linkNotes];
    for (const field of ['width', 'height'] as const) {
      const linked = this.#linkedSizes.includes(field);
      const value = this[field];
      if (linked && fits(value)) continue;
      this[field] = manifest.defaults[field];
      // A link's size that this model cannot take is named, not silently replaced.
      if (linked) notes.push({ kind: 'size', field, value, min: limits.min, max: limits.max, using: this[field] });
    }
    this.#linkedSizes = [];
    this.linkNotes = notes.map((note) =>
      note.kind === 'ignored' && (note.field === 'width' || note.field === 'height') ? { ...note, using: this[note.field] } : note,
    );
  }

  /**
   * Checks the form for a run. With "randomize" on, draws the seed now and shows it in the field,
   * so the request that runs is exactly what the form shows.
   */
  prepare(): Checked {
    this.attempted = true;
    if (this.randomizeSeed) this.seed = crypto.getRandomValues(new Uint32Array(1))[0]!;
    return this.checked;
  }
}
