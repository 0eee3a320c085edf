#!/usr/bin/env node
// Thin launcher: the compiled entry point lives in dist/ (built by `npm install` through the prepare script).
import('../dist/main.js');
