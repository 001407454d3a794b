import { BatchWriteCommand, type BatchWriteCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type WriteRequest = NonNullable<NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string]>[number];

/** BatchWriteItem in groups of 25, resending unprocessed items with backoff until every one is written. */
export async function batchWrite(
  db: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
  maxAttempts = 10,
): Promise<number> {
  let sent = 0;
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] | undefined = requests.slice(i, i + 25);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= maxAttempts) throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${maxAttempts} attempts`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(2000, 25 * 2 ** attempt)));
      const out: BatchWriteCommandOutput = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      sent += 1;
      pending = out.UnprocessedItems?.[tableName] as WriteRequest[] | undefined;
    }
  }
  return sent;
}
