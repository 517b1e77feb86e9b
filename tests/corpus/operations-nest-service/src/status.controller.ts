import { Controller, Get } from '@nestjs/common';

@Controller()
export class StatusController {
  @Get('readyz')
  ready(): { status: string } {
    return { status: 'ok' }; // expect: health.shallow-check
  }

  @Get('invoices/ready')
  readyInvoices(): string[] {
    return [];
  }
}
