// Injected into the playground's bundle as the `Buffer` global the parser and the analysis use (byte offsets of UTF-8 text).
export { Buffer } from 'buffer';
