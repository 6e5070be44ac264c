/**
 * Counts the bytes of WebGPU buffers alive in this realm (created and not yet destroyed), with the
 * peak since the last reset. Benchmarks turn it on before onnxruntime-web creates its device;
 * nothing else patches WebGPU.
 */
export interface GpuMemorySnapshot {
  liveBytes: number;
  peakBytes: number;
  buffers: number;
}

let installed = false;
let live = 0;
let peak = 0;
let count = 0;
const sizes = new WeakMap<GPUBuffer, number>();

export function trackGpuMemory(): void {
  if (installed || typeof GPUDevice === 'undefined') return;
  installed = true;
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    const buffer = createBuffer.call(this, descriptor);
    sizes.set(buffer, descriptor.size);
    live += descriptor.size;
    count += 1;
    peak = Math.max(peak, live);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
    const size = sizes.get(this);
    if (size !== undefined) {
      sizes.delete(this);
      live -= size;
      count -= 1;
    }
    return destroy.call(this);
  };
}

export function gpuMemory(): GpuMemorySnapshot {
  return { liveBytes: live, peakBytes: peak, buffers: count };
}

/** Starts a new peak window at the current live bytes. */
export function resetGpuPeak(): void {
  peak = live;
}
