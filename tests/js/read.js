#!/usr/bin/env node
// Read a data package with the JavaScript `datapackage` library, a second,
// independent Data Package implementation: the descriptor must be valid for it
// and every row of every resource must cast against its schema.
//
//   node tests/js/read.js datapackage/datapackage.json
//
// Prints {"<resource>": <row count>, ...} as JSON; on any error prints it to
// stderr and exits 1 (2 for a usage error).
'use strict'

const path = require('path')
const { Package } = require('datapackage')

function describe(error) {
  const inner = (error.errors || []).map((e) => `  ${e.rowNumber ? `row ${e.rowNumber}: ` : ''}${e.message || e}`)
  return [error.message || String(error), ...inner].join('\n')
}

async function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node read.js path/to/datapackage.json\n')
    return 2
  }
  const descriptor = path.resolve(argv[0])
  const dp = await Package.load(descriptor, { basePath: path.dirname(descriptor) })
  if (!dp.valid) {
    process.stderr.write(`invalid descriptor ${argv[0]}:\n${dp.errors.map((e) => `  ${e.message || e}`).join('\n')}\n`)
    return 1
  }
  const counts = {}
  for (const resource of dp.resources) {
    if (!resource.valid) {
      const errors = resource.errors.map((e) => `  ${e.message || e}`).join('\n')
      process.stderr.write(`invalid resource ${resource.name}:\n${errors}\n`)
      return 1
    }
    try {
      const rows = await resource.read({ keyed: true, cast: true })
      counts[resource.name] = rows.length
    } catch (error) {
      process.stderr.write(`resource ${resource.name}: ${describe(error)}\n`)
      return 1
    }
  }
  process.stdout.write(JSON.stringify(counts) + '\n')
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    process.stderr.write(`${describe(error)}\n`)
    process.exitCode = 1
  }
)
