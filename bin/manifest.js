#!/usr/bin/env node
// Writes oclif.manifest.json at pack time only (prepack); postpack deletes it, so a stale
// manifest never hides a new command in a working tree.
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Plugin} from '@oclif/core/config'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
await plugin.load()
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), JSON.stringify(plugin.manifest, null, 2))
console.log(`wrote oclif.manifest.json (${Object.keys(plugin.manifest.commands).length} commands)`)
