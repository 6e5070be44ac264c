// Every English string of the UI. ko.ts has the same shape (checked by its type).
import type { ErrorName } from '../shared/errors';
import type { StageName, WaitCause } from '../shared/events';
import type { SourceProblem } from '../shared/sources';
import type { PreflightReason } from '../shared/preflight';
import type { JobInput } from '../shared/job';
import type { SecondAxis } from '../shared/request';

/** A state's place on the timeline in words: the 1st and the 2nd are its ends, the keyframes between are the 3rd.. 8th. */
const ORDINALS = ['1st', '2nd', '3rd', '4th', '5th', '6th', '7th', '8th'];
/** The keyframe at `index` among the keyframes, as its field is labelled (the first is the 3rd state). */
const keyframe = (index: number) => `${ORDINALS[index + 2] ?? `${index + 3}th`} state`;

/** How an error is worded: what happened, and what to do about it. */
export interface ErrorWords {
  what: string;
  action: string;
}

export const en = {
  langName: 'English',
  app: {
    title: 'Time Stream',
    tagline: 'Text in, a video from the past to the future out, made on your own device.',
    language: 'Language',
    skipToOutput: 'Skip to the results',
  },
  form: {
    legend: 'What to render',
    prompt: 'Prompt',
    promptHint: 'Describe what to be steered by the directions.',
    state1: '1st state',
    state1Hint: 'Where the stream starts, e.g. “winter”, “1900”.',
    state2: '2nd state',
    state2Hint: 'Where it ends, e.g. “summer”, “2100”.',
    strength: 'Strength',
    strengthHint: 'How far the two ends move away from the middle frame.',
    strengthUnstable: (limit: number) => `Strength above ${limit} may give unstable results.`,
    run: 'Generate',
    runAgain: 'Generate again',
    cancel: 'Cancel',
    fixFields: (n: number) => (n === 1 ? 'One field needs fixing before this can run.' : `${n} fields need fixing before this can run.`),
    copyLink: 'Copy link to these settings',
    linkCopied: 'Link copied. Opening it fills in this form; nothing starts by itself.',
    waitingForModel: 'Reading the model first; the run starts as soon as it is read.',
    linkCopyFailed: 'Could not copy; the link is in the address bar.',
    sameStates: 'The two states read the same, so every frame would be the same picture: write two different states.',
    /** The keyframe timeline (issue 19): states the stream passes through between the 1st and the 2nd. */
    keyframes: 'States between the 1st and the 2nd, in order',
    keyframe,
    timeline: 'The stream',
    addState: 'Add a state between',
    addStateFull: (max: number) => `A timeline holds at most ${max} states: remove one to add another.`,
    moveUp: (name: string) => `Move the ${name} up`,
    moveDown: (name: string) => `Move the ${name} down`,
    remove: (name: string) => `Remove the ${name}`,
    moved: (text: string, name: string) => `“${text}” is now the ${name}.`,
    removed: (name: string, text: string) => `The ${name} “${text}” was removed.`,
  },
  link: {
    /** Each field as it is named inside a sentence. */
    names: {
      prompt: 'prompt',
      state1: '1st state',
      state2: '2nd state',
      strength: 'strength',
      frames: 'number of frames',
      iterations: 'direction iterations',
      steps: 'inference steps',
      guidanceScale: 'guidance scale',
      seed: 'seed',
      width: 'width',
      height: 'height',
      maxSequenceLength: 'T5 text length',
      fps: 'frames per second',
      loop: 'loop',
      holdLastMs: 'hold of the last frame',
      waypoints: 'states between',
      axis2: 'second axis',
      spacing: 'frame spacing',
    } satisfies Record<keyof JobInput, string>,
    /** The second axis's fields inside a sentence. */
    axis2Names: {
      state1: '1st state of the second axis',
      state2: '2nd state of the second axis',
      strength: 'strength of the second axis',
      frames: 'rows of the second axis',
      normalize: 'normalising of the two scales',
    } satisfies Record<keyof SecondAxis, string>,
    keyframe,
    keyframes: (count: number, kept: number) =>
      `The link has ${count} states between the 1st and the 2nd; a timeline holds ${kept} there at most, so the form keeps the first ${kept}.`,
    on: 'on',
    off: 'off',
    cut: (name: string, length: number, kept: number) =>
      `The link’s ${name} was ${length} characters long; the form keeps the first ${kept}.`,
    ignored: (name: string, raw: string, using: string) => `The link’s ${name} “${raw}” was ignored; using ${using}.`,
    ignoredSeed: (raw: string) => `The link’s seed “${raw}” was ignored; the seed is random.`,
    size: (name: string, value: number, min: number, max: number, using: number) =>
      `The link’s ${name} ${value} does not fit this model (${min} to ${max} px); using ${using}.`,
  },
  korean: {
    /** Shown in both languages whatever the UI language, as the original Space did. */
    notice: 'Korean input is accepted, but the model is optimised for English, so results may be limited.',
  },
  advanced: {
    summary: 'Advanced options',
    frames: 'Number of frames',
    framesHint:
      'More frames give a smoother transition; a timeline needs at least one frame per state. With a second axis, the grid’s columns.',
    spacing: 'Frame spacing',
    spacingUniform: 'Uniform',
    spacingUniformHint: 'The same step along the direction from frame to frame, as the original.',
    spacingEven: 'Even',
    spacingEvenHint: 'Renders a coarse pass first and places frames at an even pace; costs about 2–3× the renders.',
    axis2: 'Second axis',
    axis2On: 'Add a second axis: the frames become a grid',
    axis2State1: '1st state of the second axis',
    axis2State2: '2nd state of the second axis',
    axis2Strength: 'Strength of the second axis',
    axis2StrengthHint: 'Rows run from −strength to +strength along this direction.',
    axis2Rows: 'Rows',
    axis2Grid: (columns: number, rows: number) =>
      `Columns walk the states, rows walk this axis: ${columns} × ${rows} = ${columns * rows} frames.`,
    axis2Normalize: 'Normalise the two scales',
    axis2NormalizeHint: 'As the original’s normalize_scales: each frame’s two scales are divided by the sum of their sizes.',
    iterations: 'Direction iterations',
    iterationsHint: 'Template pairs averaged to find the direction; 0 uses the two words alone.',
    steps: 'Inference steps',
    stepsHint: 'FLUX.1-schnell is made for 1 to 4 steps.',
    guidance: 'Guidance scale',
    guidanceHint: 'Shown as in the original; FLUX.1-schnell ignores it.',
    seed: 'Seed',
    randomize: 'Randomize seed',
    seedUsed: (seed: number) => `Seed used: ${seed}`,
    reuseSeed: 'Keep this seed',
    width: 'Width',
    height: 'Height',
    sizeHint: (min: number, max: number, def: number) =>
      `This model works from ${min} to ${max} px (default ${def}×${def}). FLUX.1-schnell defaults to 768×768.`,
    t5: 'T5 text length',
    t5_512: '512 tokens',
    t5_256: '256 tokens',
    t5Hint: '512 as the original; 256 is faster and is the length FLUX.1-schnell was trained with.',
    video: 'Looping video',
    fps: 'Frames per second',
    loop: 'Loop',
    loopForward: 'Forward (like the original)',
    loopPingpong: 'There and back (no jump)',
    hold: 'Hold the last frame (ms)',
    videoHint: 'The original makes a 5 fps forward loop. There and back plays the frames back to the start without repeating the ends.',
  },
  examples: {
    heading: 'Examples',
    fill: (prompt: string, states: readonly string[], strength: number) =>
      `Fill the form: ${prompt}, ${states.join(' to ')}, strength ${strength}`,
  },
  progress: {
    heading: 'Progress',
    stage: {
      download: 'Downloading the model',
      load: 'Loading the model',
      text: 'Reading the prompt',
      direction: 'Finding the direction',
      denoise: 'Rendering frames',
      decode: 'Decoding',
      video: 'Encoding the video',
      done: 'Done',
    } satisfies Record<StageName, string>,
    directionCount: (done: number, total: number) => `Finding the direction: ${done} of ${total}`,
    frameOf: (k: number, n: number, step: number, steps: number) => `Frame ${k} of ${n} (step ${step} of ${steps})`,
    downloadOf: (loaded: string, total: string, speed: string) => `${loaded} of ${total} at ${speed}/s`,
    eta: (time: string) => `about ${time} left`,
    checking: (done: number, total: number) => `Checking the stored model files against their checksums: ${done} of ${total}`,
    waiting: (cause: WaitCause, time: string) =>
      cause === 'host-asked'
        ? `waiting ${time}, as the host asked`
        : cause === 'host-busy'
          ? `the host is busy: trying again in ${time}`
          : `the connection broke: trying again in ${time}`,
    cancelling: 'Stopping after the current step…',
    cancelled: (made: number) =>
      made === 0
        ? 'Cancelled before the first frame was made.'
        : `Cancelled. The ${made === 1 ? 'frame' : `${made} frames`} made so far ${made === 1 ? 'is' : 'are'} kept.`,
    finished: (time: string) => `Done in ${time}.`,
    finishedNoVideo: (time: string) => `Frames and strip ready in ${time}; the video could not be made (see below).`,
    backendWasm: (reason: string) => `Running on the CPU (WebAssembly): ${reason}`,
    backendGpu: 'Running on the GPU (WebGPU).',
    idle: 'Ready.',
  },
  output: {
    heading: 'Results',
    empty: 'Frames appear here as soon as they are rendered.',
    viewer: 'Frame viewer',
    slider: (from: string, to: string) => `Frame, from “${from}” to “${to}”`,
    sliderValue: (k: number, n: number, scale: string) => `Frame ${k} of ${n}, scale ${scale}`,
    frameAlt: (k: number, n: number, scale: string) => `Frame ${k} of ${n} (scale ${scale})`,
    pending: (k: number) => `Frame ${k} is still rendering.`,
    showingNearest: (k: number, shown: number) => `Frame ${k} is still rendering; showing frame ${shown}.`,
    notMade: (k: number, shown: number) => `Frame ${k} was not made; showing frame ${shown}.`,
    noneCancelled: 'The run was cancelled before the first frame was made: no frames, strip or video.',
    noneError: 'The run stopped with an error before the first frame was made: no frames, strip or video.',
    partial: (made: number, total: number) => `${made} of ${total} frames were made before the run stopped.`,
    strip: 'Strip',
    video: 'Looping video',
    videoPending: 'The video is made when all frames are ready.',
    videoUnavailable: 'No video this time; the frames and strip are still available.',
    videoStopped: 'No video: the run stopped before every frame was made.',
    gallery: 'All frames',
    selectFrame: (k: number) => `Show frame ${k} in the viewer`,
    downloads: 'Downloads',
    downloadVideo: 'Video',
    downloadStrip: 'Strip (PNG)',
    downloadFrame: (k: number) => `Frame ${k} (PNG)`,
    downloadFrameShort: 'PNG',
    downloadFrameLabel: (k: number) => `Download frame ${k} as PNG`,
    // Keyframes, the second axis's grid and even spacing (issue 19).
    sliderStates: (states: readonly string[]) => `Frame, through ${states.map((s) => `“${s}”`).join(' → ')}`,
    atState: (state: string) => `at “${state}”`,
    betweenStates: (from: string, to: string) => `between “${from}” and “${to}”`,
    columnSlider: (states: readonly string[]) => `Column, through ${states.map((s) => `“${s}”`).join(' → ')}`,
    rowSlider: (top: string, bottom: string) => `Row, from “${top}” at the top to “${bottom}” at the bottom`,
    columnValue: (k: number, n: number, scale: string) => `Column ${k} of ${n}, scale ${scale}`,
    rowValue: (k: number, n: number, toward: string | null) =>
      toward === null ? `Row ${k} of ${n}, the middle` : `Row ${k} of ${n}, toward “${toward}”`,
    cellValue: (column: number, columns: number, row: number, rows: number, scale: string, scale2: string) =>
      `Column ${column} of ${columns}, row ${row} of ${rows} (scales ${scale}, ${scale2})`,
    cellPending: (column: number, row: number) => `Column ${column}, row ${row} is still rendering.`,
    cellShowingNearest: (column: number, row: number, shownColumn: number, shownRow: number) =>
      `Column ${column}, row ${row} is still rendering; showing column ${shownColumn}, row ${shownRow}.`,
    cellNotMade: (column: number, row: number, shownColumn: number, shownRow: number) =>
      `Column ${column}, row ${row} was not made; showing column ${shownColumn}, row ${shownRow}.`,
    grid: 'Grid',
    gridLabel: (columns: number, rows: number, states: readonly string[], top: string, bottom: string) =>
      `Grid of ${columns} × ${rows} frames: columns through ${states.map((s) => `“${s}”`).join(' → ')}, rows from “${top}” at the top to “${bottom}” at the bottom`,
    stripLabel: (states: readonly string[]) => `Strip: ${states.join(' → ')}`,
    evenness: (uniformCv: string, evenCv: string, renders: number, frames: number) =>
      `Even spacing: adjacent change CV ${uniformCv} → ${evenCv}, ${renders} renders for ${frames} frames`,
    videoPath: 'Path through the grid',
    videoPathRows: 'Row by row (snake)',
    videoPathLoop: 'Around the border',
    videoRemaking: 'Making the video along the new path…',
    selectCell: (column: number, row: number) => `Show column ${column}, row ${row} in the viewer`,
    downloadCell: (column: number, row: number) => `Column ${column}, row ${row} (PNG)`,
    downloadGrid: 'Grid (PNG)',
    downloadCellLabel: (column: number, row: number) => `Download column ${column}, row ${row} as PNG`,
  },
  model: {
    heading: 'Model',
    builtIn: 'Built-in world model (works offline)',
    builtInNote:
      'Nothing to download: it ships with the app. A small model of the FLUX.1-schnell architecture that this project trained on drawn shapes, to show how the app works offline. It knows six things (a tomato, a house, a tree, a car, a fish, a flower) at 64×64 pixels and three changes (fresh to rotten, summer to winter, day to night), and nothing else: try the examples.',
    worldWalkAlt: 'Seven frames of a tree, from day to night, as the built-in model draws them.',
    worldWalkCaption: 'A tree, day → night, strength 2: seven frames this model rendered in the app.',
    reading: 'Reading the built-in model…',
    facts: (size: string, precision: string, version: string) => `${size} · ${precision} · version ${version}`,
    licence: (licence: string) => `Licence: ${licence}`,
    active: 'In use',
    use: 'Use this model',
    useBuiltIn: 'Use the built-in model',
    customTitle: 'Another model',
    customSummary: 'from a bundle URL or a source description',
    customUrl: 'Bundle URL or source description',
    customHint:
      'The address of a bundle’s manifest.json, the address of a source description, or a source description pasted as JSON. Checking reads only that file.',
    check: 'Check size',
    checking: 'Checking…',
    sizeBefore: (size: string) => `Download size: ${size}`,
    sizePartial: (left: string, stored: string) => `Still to download: ${left} (${stored} already stored)`,
    sizeStored: (size: string) => `Size on this device: ${size}`,
    component: { clip: 'CLIP text encoder', t5: 'T5 text encoder', transformer: 'Transformer', decoder: 'Image decoder' },
    download: 'Download',
    downloading: (done: string, total: string) => `Downloading: ${done} of ${total}`,
    downloaded: 'Downloaded and verified.',
    stored: (size: string) => `Stored: ${size}`,
    remembered: 'Added by address on this device',
    rememberedPartial: (stored: string, total: string) => `${stored} of ${total} stored: the download stopped.`,
    rememberedComplete: (size: string) => `${size}, downloaded and verified.`,
    resume: 'Resume the download',
    open: 'Open',
    delete: 'Delete from this device',
    storageUsed: (used: string, quota: string) => `Storage used by this site: ${used} of ${quota} available`,
    storageUnknown: 'Storage use is not known.',
    storageRefused: (used: string, at: string) =>
      `Storage used by this site: ${used}. The browser refused to store more at ${at}, whatever its estimate says: free some space or delete a stored model.`,
    persist: 'Keep models when the browser needs space',
    notStored: 'Not downloaded; it is read from its address each run.',
    listError: 'The model list could not be read, so only the built-in model and a pasted address are offered.',
    openBundle: 'Check this bundle',
    source: {
      summary: 'assembled on this device from public weight files',
      compact: (download: string, gpu: string) => `${download} to download once · runs on your GPU (about ${gpu} of GPU memory)`,
      details: 'Details, licence and download',
      detailsStored: 'Details and licence',
      pasted: 'Pasted source description',
      files: 'What it downloads',
      sizeUnknown: 'size not published',
      downloadTotal: (size: string) => `Download: ${size}`,
      downloadTotalPlus: (size: string, n: number) => `Download: ${size}, plus ${n} small file${n === 1 ? '' : 's'} of unpublished size`,
      storesExact: (size: string) => `Stored on this device: ${size}`,
      storesAbout: (size: string) => `Stored on this device: about ${size} (repacking keeps the size)`,
      alreadyStored: (size: string) => `${size} of it is already stored; the assembly resumes there.`,
      licence: 'Licence',
      licenceLink: (name: string) => `Read the licence (${name})`,
      accept: 'I have read the licence and accept it',
      acceptFirst: 'Accept the licence to enable the download.',
      gpuNeed: (size: string) => `GPU memory it needs: about ${size} (an estimate for its largest stage).`,
      assemble: 'Fetch and assemble',
      assembling: (done: string, total: string) => `Downloading and assembling: ${done} of ${total}`,
      assembled: 'Assembled and stored on this device.',
      useIt: 'Use this model',
      remove: 'Delete the assembled model',
      note: 'About these numbers',
      // Issue 15 item 2: what the transformer computes in (workers/assemble/precision.ts chooses).
      precision: (weightBits: number, activationBits: number) => `Precision: ${weightBits}-bit weights, ${activationBits}-bit activations`,
      precisionWhy: {
        'one-template': '',
        'no-shader-f16': 'This GPU has no shader-f16, so it gets the 32-bit version.',
        'shader-f16': 'This GPU has shader-f16, so it gets the 16-bit version.',
        'kept-float32': 'The stored copy has 32-bit activations; delete it and assemble again to get the 16-bit version.',
        stored: '',
      },
      storedF16NotHere:
        'The stored copy computes in 16-bit, which this GPU cannot do on WebGPU (it has no shader-f16): it runs on the CPU, very slowly. Delete it and assemble it again to get the 32-bit version.',
    },
    problem: {
      heading: 'That description cannot be used.',
      listHeading: 'The model list has a mistake.',
      at: (at: string) => `Where: ${at}`,
      byKind: {
        json: 'It is not valid JSON.',
        'not-object': 'A part of it is not the JSON object expected there.',
        format: 'It is not a Time Stream source description (format field).',
        version: 'It is written for another version of this app (format_version).',
        missing: 'A required field is missing or empty.',
        type: 'A field has the wrong type.',
        id: 'The id may use only letters, digits, “.”, “_” and “-”.',
        url: 'An address is not an http or https URL.',
        bytes: 'A size is not a positive whole number of bytes.',
        sha256: 'A checksum is not 64 hexadecimal digits (use null where none is published).',
        choice: 'A field has a value this app does not know.',
        component: 'The components must be exactly clip, t5, transformer and decoder.',
        path: 'A file path must stay inside the bundle (no “..”, no leading “/”).',
        duplicate: 'The same id or file appears twice.',
        entry: 'An entry is neither a bundle link nor a source description.',
      } satisfies Record<SourceProblem, string>,
    },
  },
  preflight: {
    refuse: 'This device cannot take this model, so nothing is downloaded:',
    warn: 'Before you download:',
    refusedButton: 'Not on this device: see why above.',
    checking: 'Checking what this device can take…',
    /** One finding in words; `bytes` formats a size in this language's units. */
    reason: (r: PreflightReason, bytes: (n: number) => string): string => {
      switch (r.kind) {
        case 'tensor':
          return `Its largest tensor is ${bytes(r.tensor)}, but this GPU allows at most ${bytes(r.limit)} in one buffer (${r.limitName}), so it cannot load the model. Use a smaller model or another device.`;
        case 'file':
          return `One of its files is ${bytes(r.file)}, more than the ${bytes(r.limit)} this GPU allows in one buffer. A bundle lists files, not tensors, so whether one tensor is that large shows only when it loads.`;
        case 'noStreaming':
          return `One part of this model weighs ${bytes(r.component)}. This browser would have to hold a whole part in the page's memory while loading it (at most ${bytes(r.limit)}); Chromium-based browsers from version 137 (Chrome, Edge) stream it from storage to the GPU instead. Open this page in one of them.`;
        case 'wasm':
          return `WebGPU is not available here${r.why ? ` (${r.why})` : ''}, so it would run on the CPU (WebAssembly), whose memory stops at ${bytes(r.limit)}; its largest stage needs about ${bytes(r.need)}. Use a browser or device with WebGPU.`;
        case 'gpuMemory':
          return `Its largest stage needs about ${bytes(r.need)} of GPU memory. Browsers do not say how much memory a GPU has, so this cannot be checked before a run; known: the GPU (${r.adapter || 'no name given'})${r.buffer !== undefined ? ` and its largest buffer, ${bytes(r.buffer)}` : ''}. With less memory the run stops with an out-of-memory error.`;
        case 'privateNoRoom':
          return `This is a private window: what a site stores here, downloads included, is kept in memory (RAM) and dropped when the window closes, and the browser allows only ${bytes(r.free)}. The model needs ${bytes(r.need)}, so it cannot be stored. Open this page in a normal window.`;
        case 'private':
          return `This is a private window: the model (${bytes(r.need)}) would be kept in memory (RAM), out of ${bytes(r.quota)} allowed here, and is gone when the window closes. Open a normal window to keep it.`;
        case 'noRoom':
          return `Not enough storage: the model needs ${bytes(r.need)}, the browser allows this site ${bytes(r.free)} more. Free some disk space or delete stored models.`;
        case 'roomUnknown':
          return `The model needs ${bytes(r.need)}; the browser reports ${bytes(r.free)} free, the most it ever reports, so whether it fits shows only while it is stored.`;
        case 'notPersisted':
          return `The browser has not promised to keep this site's storage: when the disk runs low it may delete the model (${bytes(r.need)}), which must then be downloaded again.`;
        case 'lowMemory':
          return `Its largest stage needs about ${bytes(r.need)}; this device reports ${bytes(r.have)} of memory, so it may run out.`;
      }
    },
  },
  device: {
    heading: 'This device',
    checking: 'Checking what this device can do…',
    gpu: (adapter: string) => `Runs on your GPU (${adapter}) with WebGPU.`,
    gpuNoF16: 'The GPU has no 16-bit float support, so half-precision models run slower or not at all.',
    wasm: (reason: string) =>
      `WebGPU is not available here (${reason}), so the work runs on the CPU (WebAssembly). The built-in model is fine; FLUX.1-schnell would take very long.`,
    memory: (need: string, have: string) =>
      `Not enough GPU memory for this model: one piece needs ${need}, the GPU allows ${have}. Use a smaller model or another device.`,
    lowMemory: (need: string, have: string) => `This model needs about ${need}; the device reports ${have} of memory, so it may run out.`,
    threads: (n: number, isolated: boolean) =>
      `${n} CPU thread${n === 1 ? '' : 's'} for WebAssembly${isolated ? '' : ' (page not cross-origin isolated)'}.`,
    isolated: (yes: boolean) => `Cross-origin isolated: ${yes ? 'yes' : 'no'}`,
    unknownAdapter: 'unnamed adapter',
    details: 'GPU and runtime details',
    adapter: (name: string, vendor: string, architecture: string) =>
      `Adapter: ${name}${vendor ? ` (${vendor}${architecture ? `, ${architecture}` : ''})` : ''}`,
    build: (build: 'jspi' | 'asyncify'): string =>
      build === 'jspi'
        ? 'Model weights stream from storage to the GPU (onnxruntime-web, JSPI build): large models can load.'
        : 'Model weights pass through the page’s memory while loading (onnxruntime-web, asyncify build): parts over 2 GiB, such as FLUX.1-schnell’s, need a Chromium-based browser, version 137 or newer.',
    limits: (buffer: string, binding: string) => `Largest GPU buffer: ${buffer}; largest binding: ${binding}`,
    features: (list: string) => `GPU features in use: ${list}`,
    noFeatures: 'none',
    wasmHeap: (size: string) => `WebAssembly heap: ${size}`,
  },
  errors: {
    heading: 'Something went wrong',
    details: 'Technical details',
    dismiss: 'Dismiss',
    byName: {
      InvalidRequest: { what: 'Some settings are not valid.', action: 'Fix the marked field and try again.' },
      WebGpuUnavailable: {
        what: 'WebGPU is not available in this browser.',
        action: 'Use a recent Chrome or Edge, or the built-in model on the CPU.',
      },
      BackendFailed: { what: 'The GPU backend could not start.', action: 'Reload the page; if it happens again, try another browser.' },
      DeviceLost: {
        what: 'The GPU stopped responding.',
        action: 'Close other heavy tabs, reload, and try a smaller size or fewer frames.',
      },
      BundleInvalid: { what: 'That model bundle is not valid.', action: 'Check the bundle URL, or use the built-in model.' },
      DownloadFailed: { what: 'The model download failed.', action: 'Check the connection and try again; finished parts are kept.' },
      BlockedByPolicy: {
        what: 'This site is not allowed to connect to that model host.',
        action:
          "Your connection is fine: the site's security policy (Content-Security-Policy connect-src) does not list the host. Whoever runs the site can add it (VITE_MODEL_HOSTS when building, docs/deploy.md); or use a model from an allowed host.",
      },
      NotFound: { what: 'Nothing was found at that address.', action: 'Check the model URL.' },
      Offline: { what: 'The model host cannot be reached.', action: 'Reconnect, or use the built-in model, which works offline.' },
      IntegrityMismatch: {
        what: 'A downloaded file does not match its checksum.',
        action: 'Delete the model in the model panel and download it again.',
      },
      QuotaExceeded: {
        what: 'There is not enough storage space for the model.',
        action: 'Free some disk space or delete stored models, then try again.',
      },
      StorageEvicted: { what: 'The browser removed the stored model.', action: 'Download it again, and allow the site to keep it.' },
      StorageDamaged: {
        what: 'Part of the stored model is damaged: its bytes no longer match what was downloaded.',
        action: 'The damaged file was removed. Download the model again: only that file is fetched.',
      },
      ModelNotDownloaded: { what: 'This model is not downloaded yet.', action: 'Download it in the model panel first.' },
      EncoderUnsupported: {
        what: 'This browser cannot encode the video.',
        action: 'The frames and the strip are still here; Chrome or Edge can make the video.',
      },
      OutOfMemory: { what: 'The device ran out of memory.', action: 'Try a smaller size or fewer frames, or close other tabs.' },
      AbortError: { what: 'Stopped.', action: '' },
      Internal: { what: 'Something unexpected went wrong.', action: 'Try again; if it keeps happening, reload the page.' },
    } satisfies Record<ErrorName, ErrorWords>,
  },
  /**
   * The message under an invalid field. validateRequest decides what is wrong and says it in English;
   * other languages word it per field from the same limits.
   */
  // The request numbers keyframes as the form labels them (after the two ends), so its words stand as they are.
  invalid: (_field: string, detail: string, _size: { min: number; max: number }) => detail,
  units: {
    bytes: ['B', 'kB', 'MB', 'GB', 'TB'],
    seconds: (n: number) => `${n} s`,
    minutes: (m: number, s: number) => `${m} min ${s} s`,
    hours: (h: number, m: number) => `${h} h ${m} min`,
  },
};

export type Messages = typeof en;
