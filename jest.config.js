/** Root jest config: every project's tests, unit (*.spec.ts) and integration (*.int.ts). */
const fs = require('node:fs');
const path = require('node:path');

const projects = ['libs', 'apps']
  .flatMap((dir) => (fs.existsSync(path.join(__dirname, dir)) ? fs.readdirSync(path.join(__dirname, dir)).map((n) => path.join(dir, n)) : []))
  .concat(['tools'])
  .filter((dir) => fs.existsSync(path.join(__dirname, dir, 'jest.config.js')))
  .map((dir) => `<rootDir>/${dir}/jest.config.js`);

module.exports = { projects };
