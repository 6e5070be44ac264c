// Every Korean string of the UI, in the same shape as en.ts.
import type { Messages } from './en';
import { LIMITS, SAME_NEIGHBOUR, SAME_STATES, type SecondAxis } from '../shared/request';
import type { JobInput } from '../shared/job';
import { VIDEO_LIMITS } from '../shared/video-api';

/** Each field as it is named inside a sentence. */
const names: Record<keyof JobInput, string> = {
  prompt: '프롬프트',
  state1: '첫 번째 상태',
  state2: '두 번째 상태',
  strength: '강도',
  frames: '프레임 수',
  iterations: '방향 탐색 반복 수',
  steps: '추론 단계',
  guidanceScale: '가이던스 스케일',
  seed: '시드',
  width: '너비',
  height: '높이',
  maxSequenceLength: 'T5 텍스트 길이',
  fps: '초당 프레임',
  loop: '반복 방식',
  holdLastMs: '마지막 프레임 유지 시간',
  waypoints: '사이 상태',
  axis2: '두 번째 축',
  spacing: '프레임 간격',
};

/** The second axis's fields inside a sentence. */
const axis2Names: Record<keyof SecondAxis, string> = {
  state1: '두 번째 축의 첫 번째 상태',
  state2: '두 번째 축의 두 번째 상태',
  strength: '두 번째 축의 강도',
  frames: '두 번째 축의 행 수',
  normalize: '두 스케일 정규화',
};

/** A state's place on the timeline: the 1st and the 2nd are its ends, the keyframes between are the 3rd.. 8th. */
const ORDINALS = ['첫', '두', '세', '네', '다섯', '여섯', '일곱', '여덟'];
/** The keyframe at `index` among the keyframes, as its field is labelled (the first is the 3rd state). */
const keyframe = (index: number) => `${ORDINALS[index + 2] ?? index + 3} 번째 상태`;

export const ko: Messages = {
  langName: '한국어',
  app: {
    title: 'Time Stream',
    tagline: '글을 넣으면 과거에서 미래로 흐르는 영상을 내 기기에서 만듭니다.',
    language: '언어',
    skipToOutput: '결과로 건너뛰기',
  },
  form: {
    legend: '만들 내용',
    prompt: '프롬프트',
    promptHint: '두 방향에 따라 변화시킬 대상을 설명하세요.',
    state1: '첫 번째 상태',
    state1Hint: '흐름이 시작하는 곳. 예: “겨울”, “1900”.',
    state2: '두 번째 상태',
    state2Hint: '흐름이 끝나는 곳. 예: “여름”, “2100”.',
    strength: '강도',
    strengthHint: '가운데 프레임에서 양 끝이 얼마나 멀어지는지 정합니다.',
    strengthUnstable: (limit) => `강도 값이 ${limit}를 넘으면 결과가 불안정할 수 있습니다.`,
    run: '생성',
    runAgain: '다시 생성',
    cancel: '취소',
    fixFields: (n) => `실행하기 전에 ${n}개 항목을 고쳐야 합니다.`,
    copyLink: '이 설정의 링크 복사',
    linkCopied: '링크를 복사했습니다. 링크를 열면 이 양식이 채워지며, 저절로 시작하지 않습니다.',
    waitingForModel: '먼저 모델을 읽는 중입니다. 다 읽으면 바로 생성을 시작합니다.',
    linkCopyFailed: '복사하지 못했습니다. 링크는 주소창에 있습니다.',
    sameStates: '두 상태가 같아서 모든 프레임이 같은 그림이 됩니다. 서로 다른 두 상태를 쓰세요.',
    keyframes: '첫 번째와 두 번째 상태 사이의 상태 (순서대로)',
    keyframe,
    timeline: '흐름',
    addState: '사이에 상태 추가',
    addStateFull: (max) => `타임라인에는 상태를 최대 ${max}개까지 넣을 수 있습니다. 하나를 지워야 더 추가할 수 있습니다.`,
    moveUp: (name) => `${name}를 위로 이동`,
    moveDown: (name) => `${name}를 아래로 이동`,
    remove: (name) => `${name} 삭제`,
    moved: (text, name) => `“${text}”은(는) 이제 ${name}입니다.`,
    removed: (name, text) => `${name} “${text}”을(를) 지웠습니다.`,
  },
  link: {
    names,
    axis2Names,
    keyframe,
    keyframes: (count, kept) =>
      `링크에는 첫 번째와 두 번째 상태 사이에 상태가 ${count}개 있습니다. 타임라인에는 그 사이에 최대 ${kept}개까지 들어가므로 앞의 ${kept}개만 넣었습니다.`,
    on: '켬',
    off: '끔',
    cut: (name, length, kept) => `링크의 ${name}은(는) ${length}자였습니다. 양식에는 앞의 ${kept}자만 넣었습니다.`,
    ignored: (name, raw, using) => `링크의 ${name} 값 “${raw}”은(는) 무시했습니다. ${using}을(를) 사용합니다.`,
    ignoredSeed: (raw) => `링크의 시드 “${raw}”은(는) 무시했습니다. 시드는 무작위입니다.`,
    size: (name, value, min, max, using) =>
      `링크의 ${name} ${value}은(는) 이 모델에 맞지 않습니다(${min}~${max}px). ${using}을(를) 사용합니다.`,
  },
  korean: {
    notice: '한국어 입력도 가능하지만, 모델이 영어에 최적화되어 있어 결과가 제한적일 수 있습니다.',
  },
  advanced: {
    summary: '고급 옵션',
    frames: '프레임 수',
    framesHint:
      '프레임이 많을수록 전환이 더 부드럽습니다. 타임라인의 상태마다 프레임이 하나 이상 있어야 합니다. 두 번째 축이 있으면 격자의 열 수입니다.',
    spacing: '프레임 간격',
    spacingUniform: '균등',
    spacingUniformHint: '원본처럼 프레임마다 방향을 따라 같은 폭으로 나아갑니다.',
    spacingEven: '고른 변화',
    spacingEvenHint: '먼저 거친 단계를 렌더링한 뒤 변화가 고르게 보이도록 프레임을 배치합니다. 렌더링이 약 2~3배 듭니다.',
    axis2: '두 번째 축',
    axis2On: '두 번째 축 추가: 프레임이 격자가 됩니다',
    axis2State1: '두 번째 축의 첫 번째 상태',
    axis2State2: '두 번째 축의 두 번째 상태',
    axis2Strength: '두 번째 축의 강도',
    axis2StrengthHint: '행은 이 방향을 따라 −강도에서 +강도까지 나아갑니다.',
    axis2Rows: '행 수',
    axis2Grid: (columns, rows) => `열은 상태를, 행은 이 축을 따라갑니다: ${columns} × ${rows} = ${columns * rows}프레임.`,
    axis2Normalize: '두 스케일 정규화',
    axis2NormalizeHint: '원본의 normalize_scales처럼 각 프레임의 두 스케일을 크기의 합으로 나눕니다.',
    iterations: '방향 탐색 반복 수',
    iterationsHint: '방향을 찾기 위해 평균하는 템플릿 쌍의 수. 0이면 두 단어만 사용합니다.',
    steps: '추론 단계',
    stepsHint: 'FLUX.1-schnell은 1~4단계용으로 만들어졌습니다.',
    guidance: '가이던스 스케일',
    guidanceHint: '원본처럼 표시하지만 FLUX.1-schnell은 이 값을 사용하지 않습니다.',
    seed: '시드',
    randomize: '시드 무작위',
    seedUsed: (seed) => `사용된 시드: ${seed}`,
    reuseSeed: '이 시드 유지',
    width: '너비',
    height: '높이',
    sizeHint: (min, max, def) => `이 모델은 ${min}~${max}px에서 동작합니다(기본 ${def}×${def}). FLUX.1-schnell의 기본값은 768×768입니다.`,
    t5: 'T5 텍스트 길이',
    t5_512: '512 토큰',
    t5_256: '256 토큰',
    t5Hint: '512는 원본과 같고, 256은 더 빠르며 FLUX.1-schnell이 학습된 길이입니다.',
    video: '반복 영상',
    fps: '초당 프레임',
    loop: '반복 방식',
    loopForward: '앞으로 (원본과 같음)',
    loopPingpong: '갔다가 돌아오기 (끊김 없음)',
    hold: '마지막 프레임 유지 (ms)',
    videoHint: '원본은 5fps로 앞으로만 반복합니다. 갔다가 돌아오기는 양 끝 프레임을 반복하지 않고 처음으로 되돌아갑니다.',
  },
  examples: {
    heading: '예시',
    fill: (prompt, states, strength) =>
      states.length === 2
        ? `양식 채우기: ${prompt}, ${states[0]}에서 ${states[1]}로, 강도 ${strength}`
        : `양식 채우기: ${prompt}, ${states.join(' → ')}, 강도 ${strength}`,
  },
  progress: {
    heading: '진행 상황',
    stage: {
      download: '모델 내려받는 중',
      load: '모델 불러오는 중',
      text: '프롬프트 읽는 중',
      direction: '방향 찾는 중',
      denoise: '프레임 만드는 중',
      decode: '디코딩 중',
      video: '영상 인코딩 중',
      done: '완료',
    },
    directionCount: (done, total) => `방향 찾는 중: ${total}개 중 ${done}개`,
    frameOf: (k, n, step, steps) => `프레임 ${n}개 중 ${k}번째 (${steps}단계 중 ${step}단계)`,
    downloadOf: (loaded, total, speed) => `${total} 중 ${loaded}, 초당 ${speed}`,
    eta: (time) => `약 ${time} 남음`,
    checking: (done, total) => `저장된 모델 파일을 체크섬과 대조하는 중: ${total}개 중 ${done}개`,
    waiting: (cause, time) =>
      cause === 'host-asked'
        ? `호스트의 요청대로 ${time} 기다리는 중`
        : cause === 'host-busy'
          ? `호스트가 바쁩니다: ${time} 뒤에 다시 시도합니다`
          : `연결이 끊겼습니다: ${time} 뒤에 다시 시도합니다`,
    cancelling: '현재 단계가 끝나면 멈춥니다…',
    cancelled: (made) =>
      made === 0 ? '첫 프레임이 만들어지기 전에 취소되었습니다.' : `취소되었습니다. 지금까지 만든 프레임 ${made}개는 남겨 둡니다.`,
    finished: (time) => `${time} 만에 완료했습니다.`,
    finishedNoVideo: (time) => `${time} 만에 프레임과 스트립을 만들었지만 영상은 만들지 못했습니다(아래 참고).`,
    backendWasm: (reason) => `CPU(WebAssembly)에서 실행 중: ${reason}`,
    backendGpu: 'GPU(WebGPU)에서 실행 중입니다.',
    idle: '준비되었습니다.',
  },
  output: {
    heading: '결과',
    empty: '프레임이 만들어지는 대로 여기에 나타납니다.',
    viewer: '프레임 보기',
    slider: (from, to) => `프레임, “${from}”에서 “${to}”까지`,
    sliderValue: (k, n, scale) => `프레임 ${n}개 중 ${k}번째, 스케일 ${scale}`,
    frameAlt: (k, n, scale) => `프레임 ${n}개 중 ${k}번째 (스케일 ${scale})`,
    pending: (k) => `${k}번째 프레임을 아직 만드는 중입니다.`,
    showingNearest: (k, shown) => `${k}번째 프레임을 아직 만드는 중이라 ${shown}번째 프레임을 보여 줍니다.`,
    notMade: (k, shown) => `${k}번째 프레임은 만들어지지 않아 ${shown}번째 프레임을 보여 줍니다.`,
    noneCancelled: '첫 프레임이 만들어지기 전에 취소되어 프레임, 스트립, 영상이 없습니다.',
    noneError: '첫 프레임이 만들어지기 전에 오류로 멈춰서 프레임, 스트립, 영상이 없습니다.',
    partial: (made, total) => `실행이 멈추기 전에 프레임 ${total}개 중 ${made}개를 만들었습니다.`,
    strip: '스트립',
    video: '반복 영상',
    videoPending: '모든 프레임이 준비되면 영상을 만듭니다.',
    videoUnavailable: '이번에는 영상이 없습니다. 프레임과 스트립은 그대로 쓸 수 있습니다.',
    videoStopped: '영상 없음: 모든 프레임이 만들어지기 전에 실행이 멈췄습니다.',
    gallery: '모든 프레임',
    selectFrame: (k) => `${k}번째 프레임을 보기에 표시`,
    downloads: '다운로드',
    downloadVideo: '영상',
    downloadStrip: '스트립 (PNG)',
    downloadFrame: (k) => `프레임 ${k} (PNG)`,
    downloadFrameShort: 'PNG',
    downloadFrameLabel: (k) => `${k}번째 프레임을 PNG로 다운로드`,
    sliderStates: (states) => `프레임, ${states.map((s) => `“${s}”`).join(' → ')} 순서`,
    atState: (state) => `“${state}” 지점`,
    betweenStates: (from, to) => `“${from}”와 “${to}” 사이`,
    columnSlider: (states) => `열, ${states.map((s) => `“${s}”`).join(' → ')} 순서`,
    rowSlider: (top, bottom) => `행, 맨 위 “${top}”에서 맨 아래 “${bottom}”까지`,
    columnValue: (k, n, scale) => `열 ${n}개 중 ${k}번째, 스케일 ${scale}`,
    rowValue: (k, n, toward) => (toward === null ? `행 ${n}개 중 ${k}번째, 가운데` : `행 ${n}개 중 ${k}번째, “${toward}” 쪽`),
    cellValue: (column, columns, row, rows, scale, scale2) =>
      `열 ${columns}개 중 ${column}번째, 행 ${rows}개 중 ${row}번째 (스케일 ${scale}, ${scale2})`,
    cellPending: (column, row) => `${column}열 ${row}행 프레임을 아직 만드는 중입니다.`,
    cellShowingNearest: (column, row, shownColumn, shownRow) =>
      `${column}열 ${row}행 프레임을 아직 만드는 중이라 ${shownColumn}열 ${shownRow}행 프레임을 보여 줍니다.`,
    cellNotMade: (column, row, shownColumn, shownRow) =>
      `${column}열 ${row}행 프레임은 만들어지지 않아 ${shownColumn}열 ${shownRow}행 프레임을 보여 줍니다.`,
    grid: '격자',
    gridLabel: (columns, rows, states, top, bottom) =>
      `프레임 ${columns} × ${rows} 격자: 열은 ${states.map((s) => `“${s}”`).join(' → ')} 순서, 행은 맨 위 “${top}”에서 맨 아래 “${bottom}”까지`,
    stripLabel: (states) => `스트립: ${states.join(' → ')}`,
    evenness: (uniformCv, evenCv, renders, frames) =>
      `고른 간격: 이웃 프레임 사이 변화의 변동계수 ${uniformCv} → ${evenCv}, 프레임 ${frames}개에 렌더 ${renders}번`,
    videoPath: '격자를 지나는 경로',
    videoPathRows: '한 행씩 (지그재그)',
    videoPathLoop: '가장자리를 한 바퀴',
    videoRemaking: '새 경로를 따라 영상을 다시 만드는 중…',
    selectCell: (column, row) => `${column}열 ${row}행 프레임을 보기에 표시`,
    downloadCell: (column, row) => `${column}열 ${row}행 (PNG)`,
    downloadGrid: '격자 (PNG)',
    downloadCellLabel: (column, row) => `${column}열 ${row}행 프레임을 PNG로 다운로드`,
  },
  model: {
    heading: '모델',
    builtIn: '내장 월드 모델 (오프라인 동작)',
    builtInNote:
      '내려받을 것이 없습니다. 앱에 들어 있습니다. 이 프로젝트가 그린 도형으로 학습시킨 FLUX.1-schnell 구조의 작은 모델로, 앱이 오프라인에서 어떻게 동작하는지 보여 줍니다. 64×64 픽셀의 여섯 가지(토마토, 집, 나무, 자동차, 물고기, 꽃)와 세 가지 변화(신선함에서 썩음, 여름에서 겨울, 낮에서 밤)만 알고 그 밖에는 모릅니다. 예시를 눌러 보세요.',
    worldWalkAlt: '내장 모델이 그린, 낮에서 밤으로 바뀌는 나무의 일곱 프레임.',
    worldWalkCaption: '나무, 낮 → 밤, 강도 2: 이 모델이 앱에서 렌더링한 일곱 프레임.',
    reading: '내장 모델을 읽는 중…',
    facts: (size, precision, version) => `${size} · ${precision} · 버전 ${version}`,
    licence: (licence) => `라이선스: ${licence}`,
    active: '사용 중',
    use: '이 모델 사용',
    useBuiltIn: '내장 모델 사용',
    customTitle: '다른 모델',
    customSummary: '번들 URL 또는 소스 설명에서',
    customUrl: '번들 URL 또는 소스 설명',
    customHint: '번들의 manifest.json 주소, 소스 설명의 주소, 또는 JSON으로 붙여 넣은 소스 설명입니다. 확인할 때는 그 파일만 읽습니다.',
    check: '크기 확인',
    checking: '확인 중…',
    sizeBefore: (size) => `내려받을 크기: ${size}`,
    sizePartial: (left, stored) => `남은 다운로드: ${left} (${stored}는 이미 저장됨)`,
    sizeStored: (size) => `이 기기에 저장된 크기: ${size}`,
    component: { clip: 'CLIP 텍스트 인코더', t5: 'T5 텍스트 인코더', transformer: '트랜스포머', decoder: '이미지 디코더' },
    download: '내려받기',
    downloading: (done, total) => `내려받는 중: ${total} 중 ${done}`,
    downloaded: '내려받아 검증했습니다.',
    stored: (size) => `저장됨: ${size}`,
    remembered: '이 기기에서 주소로 추가한 모델',
    rememberedPartial: (stored, total) => `${total} 중 ${stored} 저장됨: 내려받기가 멈췄습니다.`,
    rememberedComplete: (size) => `${size}, 내려받아 검증했습니다.`,
    resume: '이어서 내려받기',
    open: '열기',
    delete: '이 기기에서 삭제',
    storageUsed: (used, quota) => `이 사이트의 저장 공간 사용량: ${quota} 중 ${used}`,
    storageUnknown: '저장 공간 사용량을 알 수 없습니다.',
    storageRefused: (used, at) =>
      `이 사이트의 저장 공간 사용량: ${used}. 브라우저의 추정치와 달리 ${at}에서 더 저장하기를 거부했습니다. 공간을 비우거나 저장된 모델을 지우세요.`,
    persist: '브라우저 공간이 부족해도 모델 유지',
    notStored: '내려받지 않았습니다. 실행할 때마다 주소에서 읽습니다.',
    listError: '모델 목록을 읽지 못해 내장 모델과 붙여 넣은 주소만 쓸 수 있습니다.',
    openBundle: '이 번들 확인',
    source: {
      compact: (download, gpu) => `한 번 내려받기 ${download} · 내 GPU에서 실행 (GPU 메모리 약 ${gpu})`,
      details: '자세히, 라이선스, 내려받기',
      detailsStored: '자세히, 라이선스',
      summary: '공개 가중치 파일로 이 기기에서 조립',
      pasted: '붙여 넣은 소스 설명',
      files: '내려받는 파일',
      sizeUnknown: '크기 비공개',
      downloadTotal: (size) => `내려받을 크기: ${size}`,
      downloadTotalPlus: (size, n) => `내려받을 크기: ${size}, 그리고 크기가 공개되지 않은 작은 파일 ${n}개`,
      storesExact: (size) => `이 기기에 저장되는 크기: ${size}`,
      storesAbout: (size) => `이 기기에 저장되는 크기: 약 ${size} (다시 배열해도 크기는 같음)`,
      alreadyStored: (size) => `그중 ${size}는 이미 저장되어 있어 그 지점부터 이어서 조립합니다.`,
      licence: '라이선스',
      licenceLink: (name) => `라이선스 읽기 (${name})`,
      accept: '라이선스를 읽었으며 동의합니다',
      acceptFirst: '라이선스에 동의해야 내려받을 수 있습니다.',
      gpuNeed: (size) => `필요한 GPU 메모리: 약 ${size} (가장 큰 단계의 추정치).`,
      assemble: '내려받아 조립',
      assembling: (done, total) => `내려받아 조립하는 중: ${total} 중 ${done}`,
      assembled: '조립하여 이 기기에 저장했습니다.',
      useIt: '이 모델 사용',
      remove: '조립한 모델 삭제',
      note: '이 숫자에 대하여',
      precision: (weightBits, activationBits) => `정밀도: 가중치 ${weightBits}비트, 활성값 ${activationBits}비트`,
      precisionWhy: {
        'one-template': '',
        'no-shader-f16': '이 GPU에는 shader-f16이 없어서 32비트 버전을 받습니다.',
        'shader-f16': '이 GPU에는 shader-f16이 있어서 16비트 버전을 받습니다.',
        'kept-float32': '저장된 사본은 32비트 활성값입니다. 16비트 버전을 받으려면 삭제한 뒤 다시 조립하세요.',
        stored: '',
      },
      storedF16NotHere:
        '저장된 사본은 16비트로 계산하는데, 이 GPU는 WebGPU에서 그렇게 할 수 없습니다(shader-f16 없음). 그래서 CPU에서 아주 느리게 실행됩니다. 32비트 버전을 받으려면 삭제한 뒤 다시 조립하세요.',
    },
    problem: {
      heading: '이 설명은 쓸 수 없습니다.',
      listHeading: '모델 목록에 잘못된 곳이 있습니다.',
      at: (at) => `위치: ${at}`,
      byKind: {
        json: '올바른 JSON이 아닙니다.',
        'not-object': '일부가 그 자리에 와야 할 JSON 객체가 아닙니다.',
        format: 'Time Stream 소스 설명이 아닙니다 (format 항목).',
        version: '이 앱의 다른 버전용으로 작성되었습니다 (format_version).',
        missing: '필수 항목이 없거나 비어 있습니다.',
        type: '항목의 형식이 잘못되었습니다.',
        id: 'id에는 영문자, 숫자, “.”, “_”, “-”만 쓸 수 있습니다.',
        url: '주소가 http 또는 https URL이 아닙니다.',
        bytes: '크기가 바이트 단위의 양의 정수가 아닙니다.',
        sha256: '체크섬이 16진수 64자리가 아닙니다 (공개된 값이 없으면 null을 쓰세요).',
        choice: '이 앱이 모르는 값이 들어 있습니다.',
        component: '구성 요소는 clip, t5, transformer, decoder 네 가지여야 합니다.',
        path: '파일 경로는 번들 안에 있어야 합니다 (“..”나 맨 앞의 “/” 불가).',
        duplicate: '같은 id나 파일이 두 번 나옵니다.',
        entry: '번들 링크도 소스 설명도 아닌 항목이 있습니다.',
      },
    },
  },
  preflight: {
    refuse: '이 기기에서는 이 모델을 쓸 수 없어 아무것도 내려받지 않습니다:',
    warn: '내려받기 전에:',
    refusedButton: '이 기기에서는 안 됩니다. 이유는 위에 있습니다.',
    checking: '이 기기가 감당할 수 있는지 확인하는 중…',
    reason: (r, bytes) => {
      switch (r.kind) {
        case 'tensor':
          return `가장 큰 텐서가 ${bytes(r.tensor)}인데 이 GPU는 버퍼 하나에 최대 ${bytes(r.limit)}(${r.limitName})까지만 허용하므로 모델을 올릴 수 없습니다. 더 작은 모델이나 다른 기기를 쓰세요.`;
        case 'file':
          return `파일 하나가 ${bytes(r.file)}로, 이 GPU가 버퍼 하나에 허용하는 ${bytes(r.limit)}보다 큽니다. 번들은 텐서가 아니라 파일만 적어 두므로, 텐서 하나가 그만큼 큰지는 불러올 때에야 알 수 있습니다.`;
        case 'noStreaming':
          return `이 모델의 한 부분이 ${bytes(r.component)}입니다. 이 브라우저는 불러오는 동안 한 부분 전체를 페이지 메모리에 담아야 하는데(최대 ${bytes(r.limit)}), Chromium 기반 브라우저 137 이상(Chrome, Edge)은 저장소에서 GPU로 바로 흘려 보냅니다. 그런 브라우저에서 이 페이지를 여세요.`;
        case 'wasm':
          return `이곳에서는 WebGPU를 쓸 수 없어${r.why ? `(${r.why})` : ''} CPU(WebAssembly)에서 실행해야 하는데, 그 메모리는 ${bytes(r.limit)}까지이고 가장 큰 단계에는 약 ${bytes(r.need)}가 필요합니다. WebGPU가 되는 브라우저나 기기를 쓰세요.`;
        case 'gpuMemory':
          return `가장 큰 단계에 GPU 메모리가 약 ${bytes(r.need)} 필요합니다. 브라우저는 GPU 메모리 용량을 알려 주지 않아 실행 전에 확인할 수 없습니다. 알 수 있는 것: GPU(${r.adapter || '이름 없음'})${r.buffer !== undefined ? `, 가장 큰 버퍼 ${bytes(r.buffer)}` : ''}. 메모리가 부족하면 실행이 메모리 부족 오류로 멈춥니다.`;
        case 'privateNoRoom':
          return `시크릿(비공개) 창입니다. 이 창에서 사이트가 저장하는 것은 내려받은 파일까지 모두 메모리(RAM)에 있다가 창을 닫으면 사라지며, 브라우저는 ${bytes(r.free)}만 허용합니다. 모델에 ${bytes(r.need)}가 필요하므로 저장할 수 없습니다. 일반 창에서 이 페이지를 여세요.`;
        case 'private':
          return `시크릿(비공개) 창입니다. 모델(${bytes(r.need)})은 이곳에서 허용된 ${bytes(r.quota)} 안에서 메모리(RAM)에 보관되고 창을 닫으면 사라집니다. 남겨 두려면 일반 창을 여세요.`;
        case 'noRoom':
          return `저장 공간이 부족합니다. 모델에 ${bytes(r.need)}가 필요한데 브라우저는 이 사이트에 ${bytes(r.free)}만 더 허용합니다. 디스크 공간을 비우거나 저장된 모델을 지우세요.`;
        case 'roomUnknown':
          return `모델에 ${bytes(r.need)}가 필요합니다. 브라우저가 보고하는 여유 공간 ${bytes(r.free)}는 브라우저가 알려 주는 최댓값이라, 들어갈지는 저장하는 동안에야 알 수 있습니다.`;
        case 'notPersisted':
          return `브라우저가 이 사이트의 저장 공간을 유지하겠다고 약속하지 않았습니다. 디스크가 부족해지면 모델(${bytes(r.need)})을 지울 수 있고, 그러면 다시 내려받아야 합니다.`;
        case 'lowMemory':
          return `가장 큰 단계에 약 ${bytes(r.need)}가 필요한데 이 기기의 메모리는 ${bytes(r.have)}로 보고되어 부족할 수 있습니다.`;
      }
    },
  },
  device: {
    heading: '이 기기',
    checking: '이 기기에서 할 수 있는 일을 확인하는 중…',
    gpu: (adapter) => `WebGPU로 GPU(${adapter})에서 실행합니다.`,
    gpuNoF16: 'GPU가 16비트 부동소수점을 지원하지 않아 반정밀도 모델은 느리거나 실행되지 않습니다.',
    wasm: (reason) =>
      `이곳에서는 WebGPU를 쓸 수 없어(${reason}) CPU(WebAssembly)에서 실행합니다. 내장 모델은 괜찮지만 FLUX.1-schnell은 매우 오래 걸립니다.`,
    memory: (need, have) =>
      `이 모델에 쓸 GPU 메모리가 부족합니다. 한 조각에 ${need}가 필요한데 GPU는 ${have}까지 허용합니다. 더 작은 모델이나 다른 기기를 쓰세요.`,
    lowMemory: (need, have) => `이 모델은 약 ${need}가 필요한데 기기 메모리는 ${have}로 보고되어 부족할 수 있습니다.`,
    threads: (n, isolated) => `WebAssembly용 CPU 스레드 ${n}개${isolated ? '' : ' (교차 출처 격리되지 않은 페이지)'}.`,
    isolated: (yes) => `교차 출처 격리: ${yes ? '예' : '아니요'}`,
    unknownAdapter: '이름 없는 어댑터',
    details: 'GPU와 런타임 정보',
    adapter: (name, vendor, architecture) => `어댑터: ${name}${vendor ? ` (${vendor}${architecture ? `, ${architecture}` : ''})` : ''}`,
    build: (build) =>
      build === 'jspi'
        ? '모델 가중치를 저장소에서 GPU로 바로 흘려 보냅니다(onnxruntime-web JSPI 빌드). 큰 모델도 불러올 수 있습니다.'
        : '불러오는 동안 모델 가중치가 페이지 메모리를 거칩니다(onnxruntime-web asyncify 빌드). FLUX.1-schnell처럼 2 GiB가 넘는 부분은 Chromium 기반 브라우저 137 이상이 필요합니다.',
    limits: (buffer, binding) => `가장 큰 GPU 버퍼: ${buffer}, 가장 큰 바인딩: ${binding}`,
    features: (list) => `사용 중인 GPU 기능: ${list}`,
    noFeatures: '없음',
    wasmHeap: (size) => `WebAssembly 힙: ${size}`,
  },
  errors: {
    heading: '문제가 생겼습니다',
    details: '기술 정보',
    dismiss: '닫기',
    byName: {
      InvalidRequest: { what: '설정 중 올바르지 않은 값이 있습니다.', action: '표시된 항목을 고친 뒤 다시 시도하세요.' },
      WebGpuUnavailable: {
        what: '이 브라우저에서는 WebGPU를 쓸 수 없습니다.',
        action: '최신 Chrome이나 Edge를 쓰거나, 내장 모델을 CPU에서 실행하세요.',
      },
      BackendFailed: {
        what: 'GPU 백엔드를 시작하지 못했습니다.',
        action: '페이지를 새로 고치세요. 다시 생기면 다른 브라우저를 써 보세요.',
      },
      DeviceLost: {
        what: 'GPU가 응답을 멈췄습니다.',
        action: '무거운 탭을 닫고 새로 고친 뒤, 더 작은 크기나 더 적은 프레임으로 해 보세요.',
      },
      BundleInvalid: { what: '올바른 모델 번들이 아닙니다.', action: '번들 URL을 확인하거나 내장 모델을 쓰세요.' },
      DownloadFailed: { what: '모델을 내려받지 못했습니다.', action: '연결을 확인하고 다시 시도하세요. 받은 부분은 남아 있습니다.' },
      BlockedByPolicy: {
        what: '이 사이트는 그 모델 서버에 연결할 수 없게 되어 있습니다.',
        action:
          '연결에는 문제가 없습니다. 사이트의 보안 정책(Content-Security-Policy connect-src)에 그 서버가 없습니다. 사이트 운영자가 추가할 수 있습니다(빌드할 때 VITE_MODEL_HOSTS, docs/deploy.md). 또는 허용된 서버의 모델을 쓰세요.',
      },
      NotFound: { what: '그 주소에 아무것도 없습니다.', action: '모델 URL을 확인하세요.' },
      Offline: { what: '모델 서버에 연결할 수 없습니다.', action: '다시 연결하거나, 오프라인에서도 되는 내장 모델을 쓰세요.' },
      IntegrityMismatch: { what: '내려받은 파일이 체크섬과 맞지 않습니다.', action: '모델 패널에서 모델을 삭제하고 다시 내려받으세요.' },
      QuotaExceeded: {
        what: '모델을 저장할 공간이 부족합니다.',
        action: '디스크 공간을 비우거나 저장된 모델을 삭제한 뒤 다시 시도하세요.',
      },
      StorageEvicted: { what: '브라우저가 저장된 모델을 지웠습니다.', action: '다시 내려받고, 사이트가 모델을 유지하도록 허용하세요.' },
      StorageDamaged: {
        what: '저장된 모델의 일부가 손상되었습니다. 내려받은 내용과 바이트가 다릅니다.',
        action: '손상된 파일은 지웠습니다. 모델을 다시 내려받으세요. 그 파일만 받습니다.',
      },
      ModelNotDownloaded: { what: '이 모델은 아직 내려받지 않았습니다.', action: '먼저 모델 패널에서 내려받으세요.' },
      EncoderUnsupported: {
        what: '이 브라우저는 영상을 인코딩할 수 없습니다.',
        action: '프레임과 스트립은 그대로 있습니다. Chrome이나 Edge에서는 영상을 만들 수 있습니다.',
      },
      OutOfMemory: { what: '기기의 메모리가 부족합니다.', action: '더 작은 크기나 더 적은 프레임으로 하거나 다른 탭을 닫으세요.' },
      AbortError: { what: '멈췄습니다.', action: '' },
      Internal: { what: '예상하지 못한 문제가 생겼습니다.', action: '다시 시도하세요. 계속되면 페이지를 새로 고치세요.' },
    },
  },
  invalid: (field, detail, size) => {
    const sameNeighbour = '이 상태가 바로 앞의 상태와 같습니다. 타임라인에서 이웃한 상태는 서로 달라야 합니다.';
    const waypoint = /^waypoints\.(\d+)$/u.exec(field)?.[1];
    if (waypoint !== undefined)
      return detail.startsWith(SAME_NEIGHBOUR)
        ? sameNeighbour
        : `${keyframe(Number(waypoint))}에 몇 단어를 입력하세요 (최대 ${LIMITS.textMaxChars}자).`;
    switch (field) {
      case 'state2':
        if (detail.startsWith(SAME_STATES))
          return '두 번째 상태가 첫 번째 상태와 같습니다. 모든 프레임이 같은 그림이 되니 서로 다른 상태를 쓰세요.';
        if (detail.startsWith(SAME_NEIGHBOUR)) return sameNeighbour;
      // falls through
      case 'prompt':
      case 'state1':
        return `${names[field]}에 몇 단어를 입력하세요 (최대 ${LIMITS.textMaxChars}자).`;
      case 'strength':
        return `강도는 ${LIMITS.strength.min}에서 ${LIMITS.strength.max} 사이의 숫자여야 합니다.`;
      case 'frames':
        return `프레임 수는 ${LIMITS.frames.min}에서 ${LIMITS.frames.max} 사이의 정수이고, 타임라인의 상태 수보다 적을 수 없습니다.`;
      case 'waypoints':
        return `타임라인에는 상태를 최대 ${LIMITS.states.max}개까지 넣을 수 있습니다.`;
      case 'axis2':
        return '두 번째 축은 두 상태와 강도로 이루어져야 합니다.';
      case 'axis2.state2':
        if (detail.startsWith(SAME_STATES)) return '두 번째 축의 두 상태가 같습니다. 서로 다른 두 상태를 쓰세요.';
      // falls through
      case 'axis2.state1':
        return `${axis2Names[field === 'axis2.state1' ? 'state1' : 'state2']}에 몇 단어를 입력하세요 (최대 ${LIMITS.textMaxChars}자).`;
      case 'axis2.strength':
        return `두 번째 축의 강도는 ${LIMITS.strength.min}에서 ${LIMITS.strength.max} 사이의 숫자여야 합니다.`;
      case 'axis2.frames':
        return `두 번째 축의 행 수는 ${LIMITS.axis2Frames.min}에서 ${LIMITS.axis2Frames.max} 사이의 정수이고, 격자 전체는 ${LIMITS.gridMaxFrames}프레임 이하여야 합니다.`;
      case 'axis2.normalize':
        return '두 스케일 정규화는 켜거나 끄는 값이어야 합니다.';
      case 'spacing':
        return detail.includes('second axis')
          ? '고른 변화 간격은 하나의 흐름을 측정하므로 두 번째 축과 함께 쓸 수 없습니다. 두 번째 축을 끄거나 균등 간격을 고르세요.'
          : '프레임 간격은 균등 또는 고른 변화 중 하나여야 합니다.';
      case 'iterations':
        return `방향 탐색 반복 수는 ${LIMITS.iterations.min}에서 ${LIMITS.iterations.max} 사이의 정수여야 합니다.`;
      case 'steps':
        return `추론 단계는 ${LIMITS.steps.min}에서 ${LIMITS.steps.max} 사이의 정수여야 합니다.`;
      case 'seed':
        return `시드는 ${LIMITS.seed.min}에서 ${LIMITS.seed.max} 사이의 정수여야 합니다.`;
      case 'guidanceScale':
        return `가이던스 스케일은 ${LIMITS.guidanceScale.min}에서 ${LIMITS.guidanceScale.max} 사이여야 합니다.`;
      case 'width':
      case 'height':
        return `${field === 'width' ? '너비' : '높이'}는 ${size.min}에서 ${size.max} 사이의 ${LIMITS.size.multiple}의 배수여야 합니다.`;
      case 'maxSequenceLength':
        return 'T5 길이는 256 또는 512 토큰이어야 합니다.';
      case 'fps':
        return `초당 프레임은 ${VIDEO_LIMITS.fps.min}에서 ${VIDEO_LIMITS.fps.max} 사이의 숫자여야 합니다.`;
      case 'loop':
        return '반복 방식은 앞으로 또는 갔다가 돌아오기 중 하나여야 합니다.';
      case 'holdLastMs':
        return `마지막 프레임 유지 시간은 ${VIDEO_LIMITS.holdMs.min}에서 ${VIDEO_LIMITS.holdMs.max} ms 사이여야 합니다.`;
      default:
        return '요청이 올바르지 않습니다.';
    }
  },
  units: {
    bytes: ['B', 'kB', 'MB', 'GB', 'TB'],
    seconds: (n) => `${n}초`,
    minutes: (m, s) => `${m}분 ${s}초`,
    hours: (h, m) => `${h}시간 ${m}분`,
  },
};
