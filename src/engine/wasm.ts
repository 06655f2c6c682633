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
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** A wasm memory grows in pages of 64 KiB, and every page is page-aligned in the process. */
export const WASM_PAGE = 64 * 1024;

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
