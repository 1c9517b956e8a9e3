// placeholder until the handler lands
export const handler = async () => ({ statusCode: 503, body: '' });
