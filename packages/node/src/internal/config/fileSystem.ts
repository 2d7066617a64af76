import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

// The files the Node layers read (the `tm` config file, a CA bundle) are opt-in: the Node file system is loaded on
// the first read, so that importing the layers and building them never load @effect/platform-node/NodeFileSystem
// for an app that reads none.

const nodeFileSystem: Effect.Effect<FileSystem.FileSystem> = Effect.flatMap(
  Effect.promise(() => import("@effect/platform-node/NodeFileSystem")),
  (NodeFileSystem) => Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer)
)

/**
 * The Node file system behind the methods the layers call (`exists`, `readFileString`), loaded on the first call.
 * Only those: the others are `FileSystem.makeNoop`'s.
 *
 * @internal
 */
export const layer: Layer.Layer<FileSystem.FileSystem> = Layer.succeed(
  FileSystem.FileSystem,
  FileSystem.makeNoop({
    exists: (path) => Effect.flatMap(nodeFileSystem, (fs) => fs.exists(path)),
    readFileString: (path, encoding) => Effect.flatMap(nodeFileSystem, (fs) => fs.readFileString(path, encoding))
  })
)
