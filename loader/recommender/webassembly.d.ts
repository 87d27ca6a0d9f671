// The WebAssembly JS API subset the SGD kernel uses. Node has it at runtime, but the loader's
// type libraries (ES2023 + @types/node, no DOM) do not declare it.
export {};

declare global {
  namespace WebAssembly {
    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    interface Memory {
      readonly buffer: ArrayBuffer | SharedArrayBuffer;
    }
    var Memory: { new (descriptor: MemoryDescriptor): Memory };
    interface Module {}
    var Module: { new (bytes: Uint8Array): Module };
    interface Instance {
      readonly exports: Record<string, unknown>;
    }
    var Instance: { new (module: Module, imports?: Record<string, Record<string, unknown>>): Instance };
    function validate(bytes: Uint8Array): boolean;
  }
}
