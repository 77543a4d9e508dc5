import { loadParser, parseSource, toTransfer, fromTransfer } from './dist/src/parse/parser.js';
import fs from 'fs';
await loadParser();
const dir='bench/corpus/2000x40000/migrations';
const files=fs.readdirSync(dir).map(f=>fs.readFileSync(dir+'/'+f,'utf8'));
const min={a:1e9,c:1e9,d:1e9};
const tr=files.map(f=>toTransfer(parseSource(f)));
for (let r=0;r<6;r++){
let t=performance.now(); files.map(f=>parseSource(f)); min.a=Math.min(min.a,performance.now()-t);
t=performance.now(); tr.forEach((x,i)=>fromTransfer(files[i],x)); min.c=Math.min(min.c,performance.now()-t);
t=performance.now(); tr.forEach((x)=>JSON.parse(x.nodes)); min.d=Math.min(min.d,performance.now()-t);
}
console.log(min);
