/** Report formats, import-free so command modules can name them in flags without loading renderers. */
export const FORMATS = ['text', 'json', 'markdown', 'junit'] as const
export type Format = (typeof FORMATS)[number]
