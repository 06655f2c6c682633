/**
 * The WebAssembly globals the engine uses, typed. WebAssembly is a global of Node, but not part
 * of the ES2022 library this project compiles against.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmGlobal {
  value: number;
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** A wasm memory grows in pages of 64 KiB, and every page is page-aligned in the process. */
export const WASM_PAGE = 64 * 1024;

/** The most pages a (32-bit) WebAssembly memory can have: 4 GiB. */
const WASM_MAX_PAGES = 65536;

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * A buffer in a WebAssembly.Memory, which is page-aligned in the process and grows keeping its
 * contents: `bytes` views it from `offset` on (what lies before is the owner's, e.g. a table).
 * With `shared`, the memory is shared (its buffer a SharedArrayBuffer that other threads can read
 * without a copy); it can grow to the 4 GiB every WebAssembly memory can (a shared one has its
 * address space reserved up front; pages are used as they are touched).
 */
export class WasmBuffer {
  readonly memory: WasmMemory;
  /** a new view after `reserve` grew the memory (older views are then empty, unless shared) */
  bytes: Buffer;

  constructor(
    size: number,
    private readonly offset = 0,
    shared = false,
  ) {
    const initial = Math.max(1, Math.ceil((offset + size) / WASM_PAGE));
    this.memory = shared
      ? new wasm.Memory({ initial, maximum: WASM_MAX_PAGES, shared: true })
      : new wasm.Memory({ initial });
    this.bytes = this.view();
  }

  /** The memory when it is shared, else null. */
  get shared(): SharedArrayBuffer | null {
    const b = this.memory.buffer as ArrayBufferLike;
    return b instanceof SharedArrayBuffer ? b : null;
  }

  /** Makes `bytes` at least `size` long, keeping its contents. */
  reserve(size: number): void {
    if (size <= this.bytes.length) return;
    this.memory.grow(Math.ceil((size - this.bytes.length) / WASM_PAGE));
    this.bytes = this.view();
  }

  protected view(): Buffer {
    return Buffer.from(this.memory.buffer, this.offset);
  }
}
