/** The signing schemes doctor knows; a module with no imports, so commands can list them cheaply. */
export const WEBHOOK_SCHEMES = ['stripe', 'github', 'standard', 'svix', 'slack', 'shopify', 'paddle'] as const
