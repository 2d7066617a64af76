#!/usr/bin/env node
import "../build/esm/bin.js"
