// Starts dynalite with its in-memory store on 127.0.0.1, on a free port,
// tables ACTIVE at once, and prints the port. Usage: node start.js NODE_MODULES
const dynalite = require(require('path').join(process.argv[2], 'dynalite'))
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
