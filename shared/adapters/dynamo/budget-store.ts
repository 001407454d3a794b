import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Budget } from '../../domain/budgets/budgets.js';
import { isConditionalCheckFailure } from './client.js';
import { queryAll } from './query.js';
import { ledgerKeys } from './table.js';

/**
 * Budgets, one item each under one partition (a ledger has tens to hundreds of budgets, read together by every
 * analysis run): `budget` in `table.ts`. The budget is kept as JSON in `b`.
 */
const keyOf = ledgerKeys.budget.key;

export class DynamoBudgetStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** False when a budget with this id exists already. */
  async createBudget(budget: Budget): Promise<boolean> {
    return this.put(budget, 'attribute_not_exists(pk)');
  }

  /** False when no budget with this id exists (a replace never brings back a deleted budget). */
  async replaceBudget(budget: Budget): Promise<boolean> {
    return this.put(budget, 'attribute_exists(pk)');
  }

  async getBudget(id: string): Promise<Budget | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }));
    return Item ? (JSON.parse(Item.b as string) as Budget) : null;
  }

  /** Every budget, by id. */
  async listBudgets(): Promise<Budget[]> {
    const out: Budget[] = [];
    for await (const item of queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.budget.pk },
    })) {
      out.push(JSON.parse(item.b as string) as Budget);
    }
    return out;
  }

  /** False when there was no such budget. */
  async deleteBudget(id: string): Promise<boolean> {
    try {
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keyOf(id), ConditionExpression: 'attribute_exists(pk)' }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  private async put(budget: Budget, condition: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(budget.id), b: JSON.stringify(budget) },
          ConditionExpression: condition,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}
